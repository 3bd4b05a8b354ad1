"""The reader's site on AWS as template.yaml declares it: a private bucket that only the distribution
(through its Origin Access Control) may read, the site as the distribution's default behaviour and every
API route still reaching the API at its own path."""

from __future__ import annotations

import re
from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import Any

import pytest

from steppewire_local import LocalStack
from tests.integration.conftest import ROOT

pytestmark = pytest.mark.integration

SITE_PATHS = ["/", "/index.html", "/404.html", "/config.json", "/app.js", "/css/site.css", "/search.html"]


@pytest.fixture(scope="module")
def resources() -> dict[str, Any]:
    return LocalStack.create(ROOT / "template.yaml").template.resources


def distribution(resources: dict[str, Any]) -> dict[str, Any]:
    config: dict[str, Any] = resources["ApiDistribution"]["Properties"]["DistributionConfig"]
    return config


def origin_of(config: dict[str, Any], path: str) -> str:
    """The origin CloudFront sends `path` to: the first behaviour whose pattern matches, else the default
    (in CloudFront's patterns `*` is any run of characters, `/` included, as in fnmatch)."""
    behaviour = next((b for b in config["CacheBehaviors"] if fnmatchcase(path, b["PathPattern"])), None)
    chosen: str = (behaviour or config["DefaultCacheBehavior"])["TargetOriginId"]
    return chosen


def test_the_site_bucket_is_private_encrypted_and_versioned(resources: dict[str, Any]) -> None:
    bucket = resources["SiteBucket"]["Properties"]
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert "WebsiteConfiguration" not in bucket  # no public website endpoint


def test_only_the_distribution_may_read_the_site_bucket(resources: dict[str, Any]) -> None:
    policies = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::S3::BucketPolicy"]
    site_policies = [p for p in policies if p["Bucket"] == {"Ref": "SiteBucket"}]
    assert len(site_policies) == 1
    allows = [s for s in site_policies[0]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    assert len(allows) == 1
    (allow,) = allows
    assert (allow["Principal"], allow["Action"]) == ({"Service": "cloudfront.amazonaws.com"}, "s3:GetObject")
    source_arn = allow["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    assert re.fullmatch(
        r"arn:\$\{AWS::Partition\}:cloudfront::\$\{AWS::AccountId\}:distribution/\$\{ApiDistribution\}", source_arn
    )

    (site_origin,) = [o for o in distribution(resources)["Origins"] if o["Id"] == "site"]
    assert site_origin["DomainName"] == {"Fn::GetAtt": ["SiteBucket", "RegionalDomainName"]}
    assert site_origin["OriginAccessControlId"] == {"Fn::GetAtt": ["SiteOriginAccessControl", "Id"]}
    assert site_origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}  # no legacy identity beside the OAC
    access_control = resources["SiteOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert (access_control["OriginAccessControlOriginType"], access_control["SigningBehavior"]) == ("s3", "always")


def test_every_api_route_keeps_its_path_at_the_edge(deploy: Callable[..., LocalStack]) -> None:
    stack = deploy()
    config = distribution(stack.template.resources)
    paths = {re.sub(r"\{[^}]+\}", "x", route.resource) for route in stack.routes}
    assert len(paths) > 10
    assert {path: origin_of(config, path) for path in paths} == dict.fromkeys(paths, "api")


@pytest.mark.parametrize("path", SITE_PATHS)
def test_the_site_is_the_default_behaviour(resources: dict[str, Any], path: str) -> None:
    assert origin_of(distribution(resources), path) == "site"


def test_the_site_answers_with_its_headers_and_its_404_page(resources: dict[str, Any]) -> None:
    config = distribution(resources)
    assert config["DefaultRootObject"] == "index.html"
    assert config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"] == {"Ref": "SiteHeadersPolicy"}
    # S3 answers a missing key 403 when the reader may not list the bucket: that is the site's 404.
    assert config["CustomErrorResponses"] == [
        {"ErrorCode": 403, "ResponseCode": 404, "ResponsePagePath": "/404.html", "ErrorCachingMinTTL": 60}
    ]
    security = resources["SiteHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    policy = {
        d.split()[0]: d.split()[1:] for d in security["ContentSecurityPolicy"]["ContentSecurityPolicy"].split(";")
    }
    assert policy["script-src"] == policy["connect-src"] == policy["default-src"] == ["'self'"]
    assert not any("unsafe" in source or "*" in source for sources in policy.values() for source in sources)
