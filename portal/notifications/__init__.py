"""Notifications to people: in-app, and by e-mail unless they turned it off."""
