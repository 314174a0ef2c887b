"""Email content, pure Python: parse raw RFC 5322 bytes defensively, sanitise HTML, trim quoted replies, recognise
automatic replies and delivery status notifications (RFC 3464), and compose replies. No Django here."""
