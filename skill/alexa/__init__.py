"""The Alexa adapter: ask-sdk-core handlers, request mapping, SSML rendering."""
