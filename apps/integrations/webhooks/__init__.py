"""Signed webhooks: endpoints, event filters, signing, transport, delivery with retries."""
