"""Local emulator of the Įvesk.lt public API (uploads through presigned S3 URLs, the `digitized` and
`exported` queues, code lists, sync errors, SNS-style webhooks).

    from sandbox.ivesk import IveskConfig, create_app
    from sandbox.framework.server import serve_in_thread

    with serve_in_thread(create_app(IveskConfig(scale=1000, digitize_delay=0))) as base_url:
        ...  # the tap's api_url is base_url (production: https://app.ivesk.lt/api/pub)
"""

from .app import create_app
from .config import ACCOUNT_ID, API_KEY, COLUMN_NAMES, IveskConfig
from .parties import COMPANY_CODES
from .provider import IveskProvider

__all__ = ["ACCOUNT_ID", "API_KEY", "COLUMN_NAMES", "COMPANY_CODES", "IveskConfig", "IveskProvider", "create_app"]
