from .cli import main
from .recorded_feeds import RecordedRatesFeeds

raise SystemExit(main(extensions=[RecordedRatesFeeds()]))
