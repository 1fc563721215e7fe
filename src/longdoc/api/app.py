"""The app factory: one FastAPI app serving both protocol families over one set of services."""

from __future__ import annotations

from fastapi import FastAPI

import longdoc
from longdoc.api import health
from longdoc.api.dashscope.generation import router as generation_router
from longdoc.api.dashscope.generation.serving import GenerationServing
from longdoc.api.errors import DASHSCOPE_PREFIX, install_error_handlers
from longdoc.api.observability import Metrics, RequestContext
from longdoc.api.openai.batches import router as batches_router
from longdoc.api.openai.batches.serving import BatchesServing
from longdoc.api.openai.chat import router as chat_router
from longdoc.api.openai.chat.serving import ChatServing
from longdoc.api.openai.files import router as files_router
from longdoc.api.openai.files.serving import FilesServing
from longdoc.api.openai.models import router as models_router
from longdoc.api.openai.usage import router as usage_router
from longdoc.api.openai.usage.serving import UsageServing
from longdoc.services import Services
from longdoc.web import router as playground_router

OPENAI_PREFIXES = ("/v1", "/compatible-mode/v1")


def create_app(services: Services) -> FastAPI:
    app = FastAPI(
        title="longdoc",
        version=longdoc.__version__,
        description="Qwen-Long and Qwen-Doc-Turbo compatible document intelligence, self-hosted.",
    )
    app.state.services = services
    app.state.metrics = Metrics(services.queue)
    app.state.files = FilesServing(services.library)
    app.state.chat = ChatServing(services.chat)
    app.state.batches = BatchesServing(services.batches)
    app.state.usage = UsageServing(services.ledger)
    app.state.generation = GenerationServing(services.chat, services.remote, services.catalog)

    install_error_handlers(app)
    app.include_router(health.build_router())
    for build in (
        files_router.build_router,
        chat_router.build_router,
        models_router.build_router,
        batches_router.build_router,
        usage_router.build_router,
    ):
        router = build()
        for prefix in OPENAI_PREFIXES:
            app.include_router(router, prefix=prefix)
    app.include_router(generation_router.build_router(), prefix=DASHSCOPE_PREFIX)
    app.include_router(playground_router.build_router())
    app.add_middleware(RequestContext, metrics=app.state.metrics)
    return app
