"""An OpenAI-compatible chat endpoint (a local Ollama or any hosted one), for the optional AI report."""
