# Multi-stage build: a static ucdeploy binary on a distroless, non-root base.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY api/ api/
COPY config/crd/ config/crd/
COPY controllers/ controllers/
COPY internal/ internal/
COPY main.go ./
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o /ucdeploy .

FROM gcr.io/distroless/static:nonroot
COPY --from=build /ucdeploy /ucdeploy
USER 65532:65532
ENTRYPOINT ["/ucdeploy"]
