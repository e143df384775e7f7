# The service image: built with the Swift toolchain, run on a slim Debian with libpq.
FROM swift:6.3-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev pkg-config && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Package.swift ./
COPY Sources ./Sources
COPY Tests ./Tests
RUN swift build -c release --product stakeholder-views --static-swift-stdlib

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends libpq5 ca-certificates curl tzdata \
    && rm -rf /var/lib/apt/lists/* && useradd --system --home /app views
WORKDIR /app
COPY --from=build /src/.build/release/stakeholder-views /usr/local/bin/stakeholder-views
COPY sql ./sql
COPY forms ./forms
COPY templates ./templates
COPY Public ./Public
COPY data ./data
USER views
ENV HOST=0.0.0.0 PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s CMD curl -fs http://127.0.0.1:8080/healthz || exit 1
CMD ["stakeholder-views", "serve"]
