"""The terminal Echo behind `connection-game play`: it talks to the skill only through
request envelopes, as a real device does."""
