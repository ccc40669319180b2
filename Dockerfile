# Multi-stage build: the static ucdeploy manager (cmd/manager: the controller without the offline
# commands) on an empty base, non-root. `make image` builds the same image without a container
# engine (hack/image); test/image keeps the two in step: the same go build environment and flags,
# package, base, user and entrypoint.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY api/ api/
COPY config/crd/ config/crd/
COPY controllers/ controllers/
COPY internal/ internal/
COPY cmd/manager/ cmd/manager/
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /ucdeploy ./cmd/manager

# scratch: the static binary needs no file from a base image. No shell, no CA bundle (the manager
# talks only to the API server, trusting the service account's CA), nothing writable.
FROM scratch
COPY --from=build /ucdeploy /ucdeploy
USER 65532:65532
ENTRYPOINT ["/ucdeploy"]
