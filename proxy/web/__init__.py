"""HTTP routes: the OpenAI-compatible API for agents, and the admin pages."""
