"""Receiver of the providers' webhooks: verified, stored durably and deduplicated, turned into tenant runs."""
