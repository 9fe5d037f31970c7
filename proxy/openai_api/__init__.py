"""The OpenAI wire format: request validation, the texts a request carries, server-sent events."""
