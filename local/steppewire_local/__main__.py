from .cli import main
from .recorded_feeds import RecordedRatesFeeds
from .samples import SampleArticles

raise SystemExit(main(extensions=[RecordedRatesFeeds(), SampleArticles()]))
