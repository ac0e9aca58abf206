# syntax=docker/dockerfile:1
# order-service: dependencies built in their own cached layer (cargo-chef), a release build,
# and a small non-root runtime image with no shell. No HEALTHCHECK: the orchestrator probes
# /health/live and /health/ready.

FROM rust:1.95-bookworm AS chef
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# librdkafka is built from source by rdkafka's cmake-build feature.
RUN apt-get update \
    && apt-get install -y --no-install-recommends cmake=3.25.* libcurl4-openssl-dev=7.88.* \
    && rm -rf /var/lib/apt/lists/* \
    && cargo install --locked cargo-chef@0.1.78
WORKDIR /src

FROM chef AS plan
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
COPY --from=plan /src/recipe.json recipe.json
# Both services, in both Dockerfiles: the build stage is the same instructions in each, so the
# second image's build reuses the first's layers instead of compiling everything again.
RUN cargo chef cook --release --recipe-path recipe.json -p checkout-service -p order-service
COPY . .
# Queries are checked against each service's .sqlx/ data: the build needs no database.
ENV SQLX_OFFLINE=true
RUN cargo build --release --locked -p checkout-service -p order-service \
    && mkdir -p /runtime-libs \
    && cp "$(ldconfig -p | awk '/libz.so.1 / {print $NF; exit}')" /runtime-libs/

FROM gcr.io/distroless/cc-debian12:nonroot
# libssl3 and libgcc come with the base image; zlib (librdkafka) does not.
COPY --from=build /runtime-libs/ /usr/lib/
COPY --from=build /src/target/release/order-service /usr/local/bin/order-service
USER 65532:65532
ENV HTTP_ADDR=0.0.0.0:8080 LOG_FORMAT=json
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/order-service"]
CMD ["serve"]
