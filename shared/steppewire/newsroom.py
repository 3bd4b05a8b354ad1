"""Facts about the newsroom that several parts share."""

from typing import Literal
from zoneinfo import ZoneInfo

Lang = Literal["en", "ru"]  # the languages articles are written in

# The newsroom's and the banks' calendar: a bare date means a day in Almaty (UTC+5, as Dushanbe,
# Tashkent and Ashgabat); "today" for the rates ticker is today there.
NEWSROOM_TIMEZONE = ZoneInfo("Asia/Almaty")
