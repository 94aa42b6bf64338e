"""Chaturbate Affiliate API: the public online-rooms feed."""

from service.sources.affiliate.client import AffiliateClient
from service.sources.affiliate.models import AffiliatePage, AffiliateRoom, AffiliateSweep, parse_page

__all__ = ["AffiliateClient", "AffiliatePage", "AffiliateRoom", "AffiliateSweep", "parse_page"]
