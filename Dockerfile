# syntax=docker/dockerfile:1
# Multi-stage build: Go binary + ONNX Runtime from the npm registry, run as a
# non-root user on a slim glibc base (ONNX Runtime is a glibc shared library).

FROM node:20-bookworm-slim AS ort
WORKDIR /src
COPY scripts/fetch-ort.sh scripts/fetch-ort.sh
RUN scripts/fetch-ort.sh /ort

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=1 go build -trimpath \
      -ldflags "-s -w -X github.com/edgedesk/edgedesk/node.Version=${VERSION}" \
      -o /out/edgedesk .

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/edgedesk --create-home edgedesk
COPY --from=build /out/edgedesk /usr/local/bin/edgedesk
COPY --from=ort /ort/libonnxruntime.so.1 /usr/local/lib/edgedesk/libonnxruntime.so.1
ENV EDGEDESK_ORT_LIB=/usr/local/lib/edgedesk/libonnxruntime.so.1 \
    EDGEDESK_LISTEN=0.0.0.0:8080 \
    EDGEDESK_DATA_DIR=/var/lib/edgedesk \
    EDGEDESK_LOG_FORMAT=json
USER edgedesk
WORKDIR /var/lib/edgedesk
VOLUME /var/lib/edgedesk
EXPOSE 8080
STOPSIGNAL SIGTERM
# The binary probes its own /readyz (edgedesk health: the address from
# EDGEDESK_LISTEN or $EDGEDESK_CONFIG, loopback for a wildcard, HTTPS when TLS
# is configured). A shell probe cannot: /bin/sh is dash, without /dev/tcp, and
# the image has no curl. A config file goes in EDGEDESK_CONFIG, not -config,
# so that the probe reads it too.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["/usr/local/bin/edgedesk", "health", "-timeout", "2s"]
ENTRYPOINT ["/usr/local/bin/edgedesk"]
CMD ["serve"]
