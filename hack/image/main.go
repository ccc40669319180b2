// Command image builds ucdeploy's container image without a container engine. `make image` runs
// it as `go -C hack/image run . -src $(CURDIR) -out $(CURDIR)/bin/ucdeploy-image.tar -tag $(IMG)`
// (it lives in its own module, so `go run -modfile=hack/image/go.mod ./hack/image` cannot build it).
//
// The image is the static ucdeploy binary on an empty base (FROM scratch: one layer holding
// /ucdeploy and nothing else), for linux/amd64 and linux/arm64, built with go-containerregistry
// (pinned in this directory's go.mod). The binary is compiled the way the Dockerfile compiles
// it (CGO_ENABLED=0 go build -trimpath -ldflags "-s -w"); -print-recipe prints that recipe as
// JSON, and test/image checks the Dockerfile against it.
//
// # The tarball
//
// One file serves every consumer. It is an OCI image layout (oci-layout, index.json, blobs/)
// archived as tar, whose index.json names one entry: the image index of both platforms. It also
// holds the manifest.json of a `docker save` archive, naming the linux/amd64 image only (the
// format has no room for an index). So:
//
//   - docker load: Docker with the containerd image store reads index.json and keeps both
//     platforms; the classic store reads manifest.json and loads linux/amd64. Either way the
//     image is tagged -tag (annotations io.containerd.image.name and
//     org.opencontainers.image.ref.name, and RepoTags).
//   - podman load: read as an OCI archive, the index entry resolves to the host's platform.
//   - crane push FILE REF: crane reads a file through manifest.json (tarball.ImageFromPath) and
//     pushes linux/amd64 alone, as a Docker schema 2 manifest.
//   - crane push DIR REF, DIR being the tarball unpacked: crane reads the OCI layout, finds the
//     single index entry and pushes the multi-platform index, whose digest is the one printed here.
//
// After writing the file, the command reads it back both ways (as crane would) and pushes both to
// an in-process registry (go-containerregistry's pkg/registry on 127.0.0.1), so a tarball that
// does not load fails the build; -verify=false skips that. By hand, the tarball was also loaded
// by docker 20.10 (classic store: manifest.json), podman 4.3 (OCI archive) and containerd 1.6's
// `ctr images import` (index.json, both platforms; the importer of Docker's containerd store),
// and pushed by crane v0.22.1 both ways; docker and podman ran it with --read-only.
//
// # Reproducibility
//
// Two builds of the same source with the same Go toolchain give the same file, byte for byte,
// and so the same digests: every timestamp (the config's created time, the history, the tar
// headers of the layer and of the archive) is SOURCE_DATE_EPOCH when set, else the commit time
// of HEAD, else the Unix epoch; tar headers carry no user or group names; entries are written
// in a fixed order; and gzip (compress/gzip, no header timestamp) is deterministic.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

// Recipe says how the image is made. -print-recipe prints it as JSON; test/image compares the
// Dockerfile with it, so that `docker build` and `make image` build the same thing.
type Recipe struct {
	// Env is set for go build besides GOOS and GOARCH.
	Env []string `json:"env"`
	// BuildFlags are the go build flags, before -o.
	BuildFlags []string `json:"buildFlags"`
	// Package is the package built, relative to the module root.
	Package string `json:"package"`
	// Binary is the binary's path in the image: the image's only file.
	Binary string `json:"binary"`
	// Base is the base image: scratch, i.e. nothing.
	Base string `json:"base"`
	// User is the config's user, uid:gid.
	User string `json:"user"`
	// Entrypoint is the config's entrypoint; the config has no Cmd.
	Entrypoint []string `json:"entrypoint"`
	// Platforms are the platforms of the image index, os/arch; the first is the one of
	// manifest.json.
	Platforms []string `json:"platforms"`
	// BinaryMode is the permission bits of Binary, owned by uid and gid 0.
	BinaryMode int64 `json:"binaryMode"`
	// Tag is the default -tag: the image config/manager/manager.yaml and the chart's default
	// values name (its appVersion), so that a loaded image is the one they run.
	Tag string `json:"tag"`
}

// recipe is the one recipe: change it and the Dockerfile together (test/image checks).
var recipe = Recipe{
	Env:        []string{"CGO_ENABLED=0"},
	BuildFlags: []string{"-trimpath", "-ldflags", "-s -w"},
	Package:    "./cmd/manager",
	Binary:     "/ucdeploy",
	Base:       "scratch",
	User:       "65532:65532",
	Entrypoint: []string{"/ucdeploy"},
	Platforms:  []string{"linux/amd64", "linux/arm64"},
	BinaryMode: 0o755,
	Tag:        "ucdeploy:0.1.0",
}

const (
	module    = "github.com/ucdeploy/ucdeploy"
	sourceURL = "https://" + module
	license   = "Apache-2.0"
)

// meta is what the image says about its source.
type meta struct {
	created  time.Time // every timestamp in the image and the archive
	revision string    // the commit, "" outside git
	version  string    // git describe, with -dirty for uncommitted changes
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("image: ")
	src := flag.String("src", "", "the ucdeploy module's directory (default: the nearest parent directory whose go.mod is "+module+")")
	out := flag.String("out", "", "the tarball to write (default SRC/bin/ucdeploy-image.tar)")
	tag := flag.String("tag", recipe.Tag, "the name docker load and podman load give the image")
	version := flag.String("version", "", "the org.opencontainers.image.version label (default: git describe --tags --always, plus -dirty)")
	verify := flag.Bool("verify", true, "read the tarball back as crane and docker would and push it to an in-process registry")
	printRecipe := flag.Bool("print-recipe", false, "print the build recipe as JSON and exit")
	flag.Parse()
	if flag.NArg() > 0 {
		log.Fatalf("unexpected arguments %q", flag.Args())
	}
	if *printRecipe {
		enc := json.NewEncoder(os.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(recipe); err != nil {
			log.Fatal(err)
		}
		return
	}
	if err := run(*src, *out, *tag, *version, *verify); err != nil {
		log.Fatal(err)
	}
}

func run(src, out, tag, version string, verify bool) error {
	start := time.Now()
	if src == "" {
		var err error
		if src, err = findModule(); err != nil {
			return err
		}
	}
	src, err := filepath.Abs(src)
	if err != nil {
		return err
	}
	if out == "" {
		out = filepath.Join(src, "bin", "ucdeploy-image.tar")
	}
	ref, err := name.NewTag(tag)
	if err != nil {
		return fmt.Errorf("-tag: %w", err)
	}
	m, err := sourceMeta(src)
	if err != nil {
		return err
	}
	if version != "" {
		m.version = version
	}

	tmp, err := os.MkdirTemp("", "ucdeploy-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	var images []platformImage
	for _, p := range recipe.Platforms {
		plat, err := v1.ParsePlatform(p)
		if err != nil {
			return err
		}
		bin := filepath.Join(tmp, plat.OS+"-"+plat.Architecture, filepath.Base(recipe.Binary))
		if err := buildBinary(src, bin, plat); err != nil {
			return err
		}
		img, err := buildImage(bin, plat, m)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		images = append(images, platformImage{plat, img})
	}
	idx, err := buildIndex(images)
	if err != nil {
		return err
	}
	if err := validate.Index(idx); err != nil {
		return fmt.Errorf("the index does not validate: %w", err)
	}

	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	written := time.Now()
	partOut := out + ".part"
	if err := writeArchive(partOut, idx, images[0].image, ref, m.created); err != nil {
		os.Remove(partOut)
		return err
	}
	if err := os.Rename(partOut, out); err != nil {
		return err
	}
	log.Printf("wrote %s in %s", out, time.Since(written).Round(100*time.Millisecond))
	if verify {
		vstart := time.Now()
		if err := verifyArchive(out, idx, images[0].image, tmp); err != nil {
			return fmt.Errorf("%s: %w", out, err)
		}
		log.Printf("verified in %s", time.Since(vstart).Round(100*time.Millisecond))
	}
	return summary(os.Stdout, out, idx, images, ref, m, verify, time.Since(start))
}

// platformImage is one platform's image.
type platformImage struct {
	platform *v1.Platform
	image    v1.Image
}

// findModule returns the nearest directory, from the working directory up, whose go.mod
// declares the ucdeploy module.
func findModule() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		data, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && modulePath(data) == module {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod of %s above the working directory; pass -src", module)
		}
		dir = parent
	}
}

func modulePath(gomod []byte) string {
	for line := range strings.Lines(string(gomod)) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}

// sourceMeta reads the image's timestamps and labels from SOURCE_DATE_EPOCH and git. Outside a
// git checkout the time is the Unix epoch and there is no revision.
func sourceMeta(src string) (meta, error) {
	m := meta{created: time.Unix(0, 0).UTC(), version: "dev"}
	if rev, err := git(src, "rev-parse", "HEAD"); err == nil {
		m.revision = rev
		if ct, err := git(src, "log", "-1", "--format=%ct", "HEAD"); err == nil {
			if sec, err := strconv.ParseInt(ct, 10, 64); err == nil {
				m.created = time.Unix(sec, 0).UTC()
			}
		}
		if d, err := git(src, "describe", "--tags", "--always"); err == nil {
			m.version = d
		}
		// Tracked files only: untracked ones are not built unless they are Go files, and
		// those make the binary differ anyway.
		if st, err := git(src, "status", "--porcelain", "--untracked-files=no"); err == nil && st != "" {
			m.version += "-dirty"
		}
	}
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return m, fmt.Errorf("SOURCE_DATE_EPOCH=%q: %w", s, err)
		}
		m.created = time.Unix(sec, 0).UTC()
	}
	return m, nil
}

// git runs git in dir without taking optional locks (git status would otherwise refresh the
// index of a work tree that someone else may be using).
func git(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_OPTIONAL_LOCKS=0")
	out, err := cmd.Output()
	return strings.TrimSpace(string(out)), err
}

// goCommand is the go command: $GO when set (the Makefile's variable), else go on PATH.
func goCommand() string {
	if g := os.Getenv("GO"); g != "" {
		return g
	}
	return "go"
}

// buildBinary cross-compiles ucdeploy for plat following the recipe.
func buildBinary(src, out string, plat *v1.Platform) error {
	args := append([]string{"build"}, recipe.BuildFlags...)
	args = append(args, "-o", out, recipe.Package)
	cmd := exec.Command(goCommand(), args...)
	cmd.Dir = src
	cmd.Env = append(os.Environ(), recipe.Env...)
	cmd.Env = append(cmd.Env, "GOOS="+plat.OS, "GOARCH="+plat.Architecture)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	log.Printf("%s/%s: %s go %s", plat.OS, plat.Architecture, strings.Join(recipe.Env, " "), quoteArgs(args))
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build for %s/%s: %w", plat.OS, plat.Architecture, err)
	}
	log.Printf("%s/%s: built in %s", plat.OS, plat.Architecture, time.Since(start).Round(100*time.Millisecond))
	return nil
}

// layerTar returns the layer's uncompressed tar: the binary alone, owned by root, read-only
// for everyone else, with the fixed time.
func layerTar(bin []byte, mtime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	hdr := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     strings.TrimPrefix(recipe.Binary, "/"),
		Mode:     recipe.BinaryMode,
		Size:     int64(len(bin)),
		ModTime:  mtime,
		Format:   tar.FormatUSTAR,
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return nil, err
	}
	if _, err := tw.Write(bin); err != nil {
		return nil, err
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// buildImage makes one platform's image: an OCI manifest, an OCI config and one gzip layer.
func buildImage(binPath string, plat *v1.Platform, m meta) (v1.Image, error) {
	bin, err := os.ReadFile(binPath)
	if err != nil {
		return nil, err
	}
	tarBytes, err := layerTar(bin, m.created)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(tarBytes)), nil
	}, tarball.WithMediaType(types.OCILayer), tarball.WithCompressionLevel(gzip.DefaultCompression), tarball.WithCompressedCaching)
	if err != nil {
		return nil, err
	}

	labels := map[string]string{
		"org.opencontainers.image.title":       "ucdeploy",
		"org.opencontainers.image.description": "The ucdeploy controller: UCDeployment resources to cert-manager Certificates and DNS records",
		"org.opencontainers.image.source":      sourceURL,
		"org.opencontainers.image.version":     m.version,
		"org.opencontainers.image.licenses":    license,
	}
	if m.revision != "" {
		labels["org.opencontainers.image.revision"] = m.revision
	}
	created := v1.Time{Time: m.created}
	cfg := &v1.ConfigFile{
		Architecture: plat.Architecture,
		OS:           plat.OS,
		Variant:      plat.Variant,
		Created:      created,
		Config: v1.Config{
			User:       recipe.User,
			Entrypoint: recipe.Entrypoint,
			Labels:     labels,
		},
		RootFS: v1.RootFS{Type: "layers"},
	}
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.ConfigFile(base, cfg)
	if err != nil {
		return nil, err
	}
	return mutate.Append(img, mutate.Addendum{
		Layer: plainLayer{layer},
		History: v1.History{
			Created:   created,
			CreatedBy: fmt.Sprintf("make image: %s go build %s -o %s", strings.Join(recipe.Env, " "), quoteArgs(recipe.BuildFlags), recipe.Binary),
			Comment:   "hack/image",
		},
	})
}

// plainLayer hides the tarball layer's Descriptor method, whose empty (not nil) annotations
// would make the in-memory manifest differ from its JSON (validate.Image rejects that); the
// descriptor is then computed from the digest, size and media type.
type plainLayer struct{ v1.Layer }

// quoteArgs joins args for a shell, quoting those with spaces.
func quoteArgs(args []string) string {
	out := make([]string, len(args))
	for i, a := range args {
		if strings.ContainsAny(a, " \t\"'") {
			a = strconv.Quote(a)
		}
		out[i] = a
	}
	return strings.Join(out, " ")
}

// buildIndex makes the OCI image index of the platforms' images.
func buildIndex(images []platformImage) (v1.ImageIndex, error) {
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, pi := range images {
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        pi.image,
			Descriptor: v1.Descriptor{Platform: pi.platform},
		})
	}
	return idx, nil
}

// dockerManifest is one entry of a `docker save` manifest.json.
type dockerManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// blobPath is where an OCI layout keeps a blob.
func blobPath(h v1.Hash) string { return "blobs/" + h.Algorithm + "/" + h.Hex }

// writeArchive writes the tarball: an OCI image layout whose index.json names idx, plus a
// docker manifest.json naming host, one of idx's images.
func writeArchive(path string, idx v1.ImageIndex, host v1.Image, ref name.Tag, mtime time.Time) error {
	blobs, idxDigest, err := indexBlobs(idx)
	if err != nil {
		return err
	}
	indexJSON, err := layoutIndexJSON(idx, idxDigest, ref)
	if err != nil {
		return err
	}
	manifestJSON, err := dockerManifestJSON(host, ref)
	if err != nil {
		return err
	}
	return writeTar(path, mtime, [][2]string{
		{"oci-layout", `{"imageLayoutVersion":"1.0.0"}`},
		{"index.json", string(indexJSON)},
		{"manifest.json", string(manifestJSON)},
	}, blobs)
}

// indexBlobs returns every blob of idx by digest (its manifest, and each image's manifest,
// config and layers), each checked to hash to its name, and idx's own digest.
func indexBlobs(idx v1.ImageIndex) (map[v1.Hash][]byte, v1.Hash, error) {
	blobs := map[v1.Hash][]byte{}
	rawIdx, err := idx.RawManifest()
	if err != nil {
		return nil, v1.Hash{}, err
	}
	idxDigest, err := idx.Digest()
	if err != nil {
		return nil, v1.Hash{}, err
	}
	blobs[idxDigest] = rawIdx
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, v1.Hash{}, err
	}
	for _, desc := range im.Manifests {
		img, err := idx.Image(desc.Digest)
		if err != nil {
			return nil, v1.Hash{}, err
		}
		if err := imageBlobs(img, desc.Digest, blobs); err != nil {
			return nil, v1.Hash{}, err
		}
	}
	// Every blob is what its name says.
	for h, data := range blobs {
		got, _, err := v1.SHA256(bytes.NewReader(data))
		if err != nil {
			return nil, v1.Hash{}, err
		}
		if got != h {
			return nil, v1.Hash{}, fmt.Errorf("blob %s hashes to %s", h, got)
		}
	}
	return blobs, idxDigest, nil
}

// imageBlobs adds img's manifest (as digest), config and compressed layers to blobs.
func imageBlobs(img v1.Image, digest v1.Hash, blobs map[v1.Hash][]byte) error {
	raw, err := img.RawManifest()
	if err != nil {
		return err
	}
	blobs[digest] = raw
	cfgName, err := img.ConfigName()
	if err != nil {
		return err
	}
	rawCfg, err := img.RawConfigFile()
	if err != nil {
		return err
	}
	blobs[cfgName] = rawCfg
	layers, err := img.Layers()
	if err != nil {
		return err
	}
	for _, l := range layers {
		d, err := l.Digest()
		if err != nil {
			return err
		}
		rc, err := l.Compressed()
		if err != nil {
			return err
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			return err
		}
		blobs[d] = data
	}
	return nil
}

// layoutIndexJSON is the layout's index.json: the single entry is the multi-platform index,
// named as docker save names what it saves (containerd's image name and the OCI ref name, the
// tag).
func layoutIndexJSON(idx v1.ImageIndex, idxDigest v1.Hash, ref name.Tag) ([]byte, error) {
	idxSize, err := idx.Size()
	if err != nil {
		return nil, err
	}
	return json.Marshal(v1.IndexManifest{
		SchemaVersion: 2,
		MediaType:     types.OCIImageIndex,
		Manifests: []v1.Descriptor{{
			MediaType: types.OCIImageIndex,
			Size:      idxSize,
			Digest:    idxDigest,
			Annotations: map[string]string{
				"io.containerd.image.name":          containerdName(ref),
				"org.opencontainers.image.ref.name": ref.TagStr(),
			},
		}},
	})
}

// dockerManifestJSON is manifest.json: the docker save view of the host image.
func dockerManifestJSON(host v1.Image, ref name.Tag) ([]byte, error) {
	cfgName, err := host.ConfigName()
	if err != nil {
		return nil, err
	}
	hostLayers, err := host.Layers()
	if err != nil {
		return nil, err
	}
	dm := dockerManifest{Config: blobPath(cfgName), RepoTags: []string{dockerTag(ref)}}
	for _, l := range hostLayers {
		d, err := l.Digest()
		if err != nil {
			return nil, err
		}
		dm.Layers = append(dm.Layers, blobPath(d))
	}
	return json.Marshal([]dockerManifest{dm})
}

// writeTar writes the archive: files (name, content) in order, the blobs directories, then the
// blobs sorted by digest, every entry with mtime, so that the archive is reproducible.
func writeTar(path string, mtime time.Time, files [][2]string, blobs map[v1.Hash][]byte) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(f)
	write := func(name string, data []byte) error {
		hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: mtime, Format: tar.FormatUSTAR}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	dir := func(name string) error {
		return tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: 0o755, ModTime: mtime, Format: tar.FormatUSTAR})
	}
	for _, file := range files {
		err = errors.Join(err, write(file[0], []byte(file[1])))
	}
	err = errors.Join(err, dir("blobs"), dir("blobs/sha256"))
	hashes := make([]v1.Hash, 0, len(blobs))
	for h := range blobs {
		hashes = append(hashes, h)
	}
	slices.SortFunc(hashes, func(a, b v1.Hash) int { return strings.Compare(a.String(), b.String()) })
	for _, h := range hashes {
		if err != nil {
			break
		}
		err = write(blobPath(h), blobs[h])
	}
	return errors.Join(err, tw.Close(), f.Close())
}

// dockerTag is ref as docker prints it: without the default registry.
func dockerTag(ref name.Tag) string {
	if ref.RegistryStr() == name.DefaultRegistry {
		return strings.TrimPrefix(ref.RepositoryStr(), "library/") + ":" + ref.TagStr()
	}
	return ref.Name()
}

// containerdName is ref fully qualified as containerd names images (docker.io/library/x:tag).
func containerdName(ref name.Tag) string {
	reg := ref.RegistryStr()
	if reg == name.DefaultRegistry {
		reg = "docker.io"
	}
	return reg + "/" + ref.RepositoryStr() + ":" + ref.TagStr()
}

// verifyArchive reads the tarball back the two ways crane push reads its argument, checks that
// it holds idx and host, and pushes both to an in-process registry.
func verifyArchive(path string, idx v1.ImageIndex, host v1.Image, tmp string) error {
	wantIdx, err := idx.Digest()
	if err != nil {
		return err
	}

	// As a file: crane push FILE, docker load (classic store).
	fromFile, err := tarball.ImageFromPath(path, nil)
	if err != nil {
		return fmt.Errorf("reading manifest.json: %w", err)
	}
	if err := validate.Image(fromFile); err != nil {
		return fmt.Errorf("the manifest.json image does not validate: %w", err)
	}
	if err := sameImage(fromFile, host); err != nil {
		return fmt.Errorf("the manifest.json image: %w", err)
	}

	// As a directory: crane push DIR, podman load, docker load (containerd store).
	dir := filepath.Join(tmp, "layout")
	if err := untar(path, dir); err != nil {
		return err
	}
	l, err := layout.ImageIndexFromPath(dir)
	if err != nil {
		return fmt.Errorf("reading the OCI layout: %w", err)
	}
	lm, err := l.IndexManifest()
	if err != nil {
		return err
	}
	if len(lm.Manifests) != 1 || lm.Manifests[0].Digest != wantIdx {
		return fmt.Errorf("index.json names %v, want the one index %s", lm.Manifests, wantIdx)
	}
	fromLayout, err := l.ImageIndex(wantIdx)
	if err != nil {
		return err
	}
	if err := validate.Index(fromLayout); err != nil {
		return fmt.Errorf("the layout's index does not validate: %w", err)
	}

	// Push both as crane push does (remote.WriteIndex and remote.Write) and read them back.
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	host127 := strings.TrimPrefix(srv.URL, "http://")
	idxRef, err := name.ParseReference(host127 + "/ucdeploy:index")
	if err != nil {
		return err
	}
	if err := remote.WriteIndex(idxRef, fromLayout); err != nil {
		return fmt.Errorf("pushing the index: %w", err)
	}
	pulledIdx, err := remote.Index(idxRef)
	if err != nil {
		return err
	}
	if d, err := pulledIdx.Digest(); err != nil || d != wantIdx {
		return fmt.Errorf("pulled index %s (%v), pushed %s", d, err, wantIdx)
	}
	if err := validate.Index(pulledIdx); err != nil {
		return fmt.Errorf("the pushed index does not validate: %w", err)
	}
	imgRef, err := name.ParseReference(host127 + "/ucdeploy:single")
	if err != nil {
		return err
	}
	if err := remote.Write(imgRef, fromFile); err != nil {
		return fmt.Errorf("pushing the manifest.json image: %w", err)
	}
	pulled, err := remote.Image(imgRef)
	if err != nil {
		return err
	}
	return sameImage(pulled, host)
}

// sameImage checks that got has want's config and layers (its manifest may differ in media
// types: docker's manifest.json view is a Docker schema 2 image).
func sameImage(got, want v1.Image) error {
	gc, err := got.ConfigName()
	if err != nil {
		return err
	}
	wc, err := want.ConfigName()
	if err != nil {
		return err
	}
	if gc != wc {
		return fmt.Errorf("config %s, want %s", gc, wc)
	}
	gl, err := got.Layers()
	if err != nil {
		return err
	}
	wl, err := want.Layers()
	if err != nil {
		return err
	}
	if len(gl) != len(wl) {
		return fmt.Errorf("%d layers, want %d", len(gl), len(wl))
	}
	for i := range gl {
		g, err := gl[i].Digest()
		if err != nil {
			return err
		}
		w, err := wl[i].Digest()
		if err != nil {
			return err
		}
		if g != w {
			return fmt.Errorf("layer %d is %s, want %s", i, g, w)
		}
	}
	return nil
}

// untar unpacks the tarball written by writeArchive (regular files and directories only).
func untar(path, dir string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if !filepath.IsLocal(hdr.Name) {
			return fmt.Errorf("unexpected entry %q", hdr.Name)
		}
		target := filepath.Join(dir, hdr.Name)
		switch hdr.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		case tar.TypeReg:
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			data, err := io.ReadAll(tr)
			if err != nil {
				return err
			}
			if err := os.WriteFile(target, data, 0o644); err != nil {
				return err
			}
		default:
			return fmt.Errorf("unexpected entry %q of type %c", hdr.Name, hdr.Typeflag)
		}
	}
}

// summary prints what was built.
func summary(w io.Writer, out string, idx v1.ImageIndex, images []platformImage, ref name.Tag, m meta, verified bool, took time.Duration) error {
	st, err := os.Stat(out)
	if err != nil {
		return err
	}
	d, err := idx.Digest()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "%s: %.1f MiB in %s\n", out, float64(st.Size())/(1<<20), took.Round(time.Second))
	fmt.Fprintf(w, "  index        %s\n", d)
	for _, pi := range images {
		md, err := pi.image.Digest()
		if err != nil {
			return err
		}
		fmt.Fprintf(w, "  %-12s %s\n", pi.platform.OS+"/"+pi.platform.Architecture, md)
	}
	fmt.Fprintf(w, "  tag %s, version %s, created %s", dockerTag(ref), m.version, m.created.Format(time.RFC3339))
	if verified {
		fmt.Fprintf(w, ", verified (tarball, OCI layout, push to an in-process registry)")
	}
	fmt.Fprintln(w)
	return nil
}
