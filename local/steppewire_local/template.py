"""Read a SAM template and translate it offline to plain CloudFormation.

samtranslator does the SAM → CloudFormation expansion (implicit APIs, roles, schedules, event source
mappings); we only feed it `s3://` placeholders for local code paths (it rejects anything else) and a
managed-policy loader that never calls IAM. The original CodeUri of each function is kept so the local
runtime can import the handler from the working tree.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

ARTIFACT_BUCKET = "steppewire-local-artifacts"


class TemplateError(ValueError):
    """The template (or a parameter override) cannot be used by the local runtime."""


@dataclass(frozen=True)
class Template:
    """A translated template plus what the translation loses (local code paths, the import root)."""

    path: Path
    import_root: Path
    parameters: dict[str, Any]
    """Parameter values after defaults and overrides: str, or list[str] for list types."""
    conditions: dict[str, Any]
    mappings: dict[str, Any]
    resources: dict[str, dict[str, Any]]
    """Translated CloudFormation resources (conditions not yet applied)."""
    code_dirs: dict[str, Path]
    """Function logical id → absolute code directory (from the SAM CodeUri)."""
    layer_dirs: dict[str, Path]
    """SAM layer logical id → the directory Lambda would put on sys.path (from the ContentUri)."""

    def layer_dir(self, translated_id: str) -> Path | None:
        """The local directory of a translated `AWS::Lambda::LayerVersion` (its id carries a hash suffix,
        but its placeholder S3 key keeps the SAM logical id)."""
        resource = self.resources.get(translated_id, {})
        key = str(resource.get("Properties", {}).get("Content", {}).get("S3Key", ""))
        return self.layer_dirs.get(key.removesuffix(".zip"))

    def handler_module(self, function_id: str, handler: str) -> tuple[str, str]:
        """Module and attribute for a function's `Handler`.

        Rule: the module is the dotted path of the CodeUri directory relative to the import root, followed
        by the handler's module part. With the repo root as import root, `CodeUri: functions/rates_api/` +
        `Handler: app.lambda_handler` → `functions.rates_api.app`, and a template in
        `tests/fixtures/stack/` with `CodeUri: echo/` → `tests.fixtures.stack.echo.app`.
        """
        module_part, _, attribute = handler.replace("/", ".").rpartition(".")
        if not module_part or not attribute:
            raise TemplateError(f"{function_id}: Handler {handler!r} is not 'module.function'")
        try:
            relative = self.code_dirs[function_id].relative_to(self.import_root)
        except ValueError:
            raise TemplateError(
                f"{function_id}: code directory {self.code_dirs[function_id]} is outside the import root "
                f"{self.import_root}"
            ) from None
        return ".".join([*relative.parts, module_part]), attribute


class _OfflinePolicyLoader:
    """samtranslator asks IAM for managed-policy ARNs only when its bundled map lacks a name; answer
    nothing so translation never touches the network."""

    def load(self) -> dict[str, str]:
        return {}


def find_import_root(template_dir: Path) -> Path:
    """The nearest ancestor (or the directory itself) holding pyproject.toml, else the template's folder."""
    for candidate in (template_dir, *template_dir.parents):
        if (candidate / "pyproject.toml").is_file():
            return candidate
    return template_dir


def load_template(
    path: str | os.PathLike[str],
    overrides: Mapping[str, str] | None = None,
    *,
    region: str,
    import_root: str | os.PathLike[str] | None = None,
) -> Template:
    template_path = Path(path).resolve()
    try:
        sam = yaml_parse(template_path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TemplateError(f"cannot read template {template_path}: {exc}") from exc
    if not isinstance(sam, dict) or not isinstance(sam.get("Resources"), dict):
        raise TemplateError(f"{template_path} is not a CloudFormation/SAM template (no Resources)")
    sam = cast(dict[str, Any], sam)
    parameters = _parameter_values(sam.get("Parameters") or {}, overrides or {})
    code_dirs, layer_dirs = _replace_local_code(sam, template_path.parent)
    with _region_env(region):
        try:
            translated = transform(sam, dict(overrides or {}), _OfflinePolicyLoader())
        except Exception as exc:  # samtranslator raises its own InvalidDocumentException family
            raise TemplateError(f"SAM translation of {template_path} failed: {exc}") from exc
    return Template(
        path=template_path,
        import_root=Path(import_root).resolve() if import_root else find_import_root(template_path.parent),
        parameters=parameters,
        conditions=translated.get("Conditions") or {},
        mappings=translated.get("Mappings") or {},
        resources=translated["Resources"],
        code_dirs=code_dirs,
        layer_dirs=layer_dirs,
    )


def _replace_local_code(sam: dict[str, Any], template_dir: Path) -> tuple[dict[str, Path], dict[str, Path]]:
    """Swap local CodeUri/ContentUri for s3:// placeholders (in place); return function and layer dirs."""
    globals_fn = (sam.get("Globals") or {}).get("Function") or {}
    global_code = globals_fn.get("CodeUri")
    if isinstance(global_code, str) and not global_code.startswith("s3://"):
        globals_fn["CodeUri"] = f"s3://{ARTIFACT_BUCKET}/globals.zip"
    code_dirs: dict[str, Path] = {}
    layer_dirs: dict[str, Path] = {}
    for logical_id, resource in sam["Resources"].items():
        kind = resource.get("Type")
        props = resource.setdefault("Properties", {})
        if kind == "AWS::Serverless::Function":
            code = props.get("CodeUri", global_code)
            if isinstance(code, str) and not code.startswith("s3://"):
                code_dirs[logical_id] = (template_dir / code).resolve()
                props["CodeUri"] = f"s3://{ARTIFACT_BUCKET}/{logical_id}.zip"
        elif kind == "AWS::Serverless::LayerVersion":
            content = props.get("ContentUri")
            if isinstance(content, str) and not content.startswith("s3://"):
                # A prebuilt layer keeps its packages in python/; with a BuildMethod, `sam build` puts
                # the ContentUri itself there.
                content_dir = (template_dir / content).resolve()
                python_dir = content_dir / "python"
                layer_dirs[logical_id] = python_dir if python_dir.is_dir() else content_dir
                props["ContentUri"] = f"s3://{ARTIFACT_BUCKET}/{logical_id}.zip"
    return code_dirs, layer_dirs


def _parameter_values(declared: Mapping[str, Any], overrides: Mapping[str, str]) -> dict[str, Any]:
    """Defaults + overrides, checked like `sam deploy --parameter-overrides` would be."""
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise TemplateError(f"unknown parameter(s) in overrides: {', '.join(unknown)}")
    values: dict[str, Any] = {}
    for name, spec in declared.items():
        if name in overrides:
            raw = overrides[name]
        elif "Default" in spec:
            raw = cfn_str(spec["Default"])
        else:
            raise TemplateError(f"parameter {name} has no default and no override")
        allowed = spec.get("AllowedValues")
        if allowed is not None and raw not in [cfn_str(v) for v in allowed]:
            raise TemplateError(f"parameter {name}={raw!r} is not one of {allowed}")
        pattern = spec.get("AllowedPattern")
        if pattern is not None and not re.fullmatch(pattern, raw):
            raise TemplateError(f"parameter {name}={raw!r} does not match {pattern!r}")
        kind = str(spec.get("Type", "String"))
        is_list = kind == "CommaDelimitedList" or kind.startswith("List<")
        # CloudFormation trims each member of a comma-delimited list.
        values[name] = [item.strip() for item in raw.split(",")] if is_list else raw
    return values


def cfn_str(value: Any) -> str:
    """A scalar as CloudFormation renders it (YAML gives us ints and bools)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@contextmanager
def _region_env(region: str) -> Iterator[None]:
    """samtranslator derives the partition from the boto3 session's region, which must therefore be set."""
    saved = os.environ.get("AWS_DEFAULT_REGION")
    os.environ["AWS_DEFAULT_REGION"] = region
    try:
        yield
    finally:
        if saved is None:
            del os.environ["AWS_DEFAULT_REGION"]
        else:
            os.environ["AWS_DEFAULT_REGION"] = saved
