# Garde-fou: image for a server of the collectivité. Everything is installed at build time from
# uv.lock (PyPI only, spaCy French models included); nothing is downloaded at run time.
FROM python:3.11-slim

ENV UV_LINK_MODE=copy \
    UV_COMPILE_BYTECODE=1 \
    UV_PROJECT_ENVIRONMENT=/opt/gardefou \
    GARDEFOU_DATA_DIR=/var/lib/gardefou \
    PATH=/opt/gardefou/bin:$PATH

WORKDIR /app
# PDF pilot reports (`gardefou report`, /admin/report): WeasyPrint draws text with Pango and needs fonts.
RUN apt-get update && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 \
        fonts-dejavu-core && rm -rf /var/lib/apt/lists/*
RUN pip install --no-cache-dir uv

# Dependencies first (cached layer), then the project itself.
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --locked --no-dev --no-install-project
COPY proxy ./proxy
COPY policies ./policies
COPY models ./models
RUN uv sync --locked --no-dev

RUN useradd --system --home /var/lib/gardefou gardefou \
    && mkdir -p /var/lib/gardefou && chown gardefou /var/lib/gardefou
USER gardefou
VOLUME ["/var/lib/gardefou"]
EXPOSE 8080

# Mount a configuration and point GARDEFOU_CONFIG at it (e.g. /etc/gardefou/gardefou.yaml);
# without one, the proxy starts in demo mode.
CMD ["gardefou", "serve", "--host", "0.0.0.0", "--port", "8080"]
