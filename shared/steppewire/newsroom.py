"""Facts about the newsroom that several parts share."""

from zoneinfo import ZoneInfo

# The newsroom's and the banks' calendar: a bare date means a day in Almaty (UTC+5, as Dushanbe,
# Tashkent and Ashgabat); "today" for the rates ticker is today there.
NEWSROOM_TIMEZONE = ZoneInfo("Asia/Almaty")
