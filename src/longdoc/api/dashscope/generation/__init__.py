"""``POST /api/v1/services/aigc/text-generation/generation``: Qwen-Long and Qwen-Doc-Turbo over
DashScope's own protocol, with ``doc_url`` documents."""
