"""Trunkline: licensing with a reseller channel, and an omnichannel customer-communication platform."""
