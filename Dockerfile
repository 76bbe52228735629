# The checker as a container image: `apptrust` without the service (check, explain, rules, diff,
# deploy), for CI jobs and pre-commit. Mount the repository to check at /work:
#
#     docker build -t apptrust .
#     docker run --rm -v "$PWD:/work" apptrust check
#
# See docs/ci.md. The service (`apptrust serve`) is not in this image.

# The workspace's rust-version (no locked dependency of the checker-only build declares a newer
# one). Builder and runtime share Debian bookworm, so the binary's glibc matches.
ARG RUST_VERSION=1.88

FROM rust:${RUST_VERSION}-slim-bookworm AS build
WORKDIR /src
# Only what the build reads: documentation, examples and tools changes keep the cached layers.
COPY Cargo.toml Cargo.lock ./
COPY crates crates
RUN cargo build --release --locked -p apptrust --no-default-features \
    && install -D -m 0755 target/release/apptrust /out/apptrust

FROM debian:bookworm-slim
# No CA bundle needed: `apptrust deploy` speaks TLS with rustls and its bundled web PKI roots.
RUN useradd --uid 10001 --user-group --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin apptrust
COPY --from=build /out/apptrust /usr/local/bin/apptrust
# Numeric, so that Kubernetes' runAsNonRoot can verify it without reading /etc/passwd.
USER 10001:10001
WORKDIR /work
ENTRYPOINT ["apptrust"]
CMD ["check"]
