"""CBHours: third-party online/rank tracker for models in its trophy database."""

from service.sources.cbhours.client import CBHoursClient, CBHoursNotTrackedError
from service.sources.cbhours.models import ActivitySegment, CBHoursActivity, CBHoursLive, CBHoursLiveRoom

__all__ = [
    "ActivitySegment",
    "CBHoursActivity",
    "CBHoursClient",
    "CBHoursLive",
    "CBHoursLiveRoom",
    "CBHoursNotTrackedError",
]
