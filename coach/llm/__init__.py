"""Language models: the chat backends (embedded SmolLM2 and OpenAI-compatible servers), the
supervisor adapter, prompt files as validated data, and token counting."""
