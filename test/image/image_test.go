// Package image checks the container image that `make image` builds (hack/image), as a container
// runtime sees it, and keeps the other descriptions of the same container in step with the
// builder's recipe: the Dockerfile, the kustomize install (config/default) and the Helm chart.
//
// The builder runs as the Makefile runs it, `go -C hack/image run .`, in its own module
// (hack/image/go.mod pins go-containerregistry, fetched through the Go module proxy). It
// cross-compiles ucdeploy for linux/amd64 and linux/arm64: minutes with a cold build cache, about
// 20 seconds a build with a warm one. `go test -short` skips the two tests that build.
package image

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"debug/elf"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

const (
	root        = "../.."
	ociIndex    = "application/vnd.oci.image.index.v1+json"
	ociManifest = "application/vnd.oci.image.manifest.v1+json"
	ociConfig   = "application/vnd.oci.image.config.v1+json"
	ociLayerGz  = "application/vnd.oci.image.layer.v1.tar+gzip"

	sourceURL = "https://github.com/ucdeploy/ucdeploy"
	license   = "Apache-2.0"
)

// recipe mirrors hack/image's Recipe, printed by its -print-recipe flag.
type recipe struct {
	Env        []string `json:"env"`
	BuildFlags []string `json:"buildFlags"`
	Package    string   `json:"package"`
	Binary     string   `json:"binary"`
	Base       string   `json:"base"`
	User       string   `json:"user"`
	Entrypoint []string `json:"entrypoint"`
	Platforms  []string `json:"platforms"`
	BinaryMode int64    `json:"binaryMode"`
	Tag        string   `json:"tag"`
}

// uidGID parses the recipe's user, which must be numeric: there is no /etc/passwd in the image.
func (r recipe) uidGID(t *testing.T) (int64, int64) {
	t.Helper()
	u, g, ok := strings.Cut(r.User, ":")
	uid, err1 := strconv.ParseInt(u, 10, 32)
	gid, err2 := strconv.ParseInt(g, 10, 32)
	if !ok || err1 != nil || err2 != nil {
		t.Fatalf("recipe user %q: want numeric uid:gid", r.User)
	}
	return uid, gid
}

var (
	recipeOnce sync.Once
	theRecipe  recipe
	recipeErr  error

	buildOnce sync.Once
	built     string // the first build's tarball
	buildErr  error
)

func absRoot(t *testing.T) string {
	t.Helper()
	r, err := filepath.Abs(root)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// builder returns the command the Makefile's image target runs, with args.
func builder(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	r := absRoot(t)
	return exec.Command("go", append([]string{"-C", filepath.Join(r, "hack", "image"), "run", "."}, args...)...)
}

func getRecipe(t *testing.T) recipe {
	t.Helper()
	recipeOnce.Do(func() {
		var stderr bytes.Buffer
		cmd := builder(t, "-print-recipe")
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			recipeErr = fmt.Errorf("hack/image -print-recipe: %v\n%s", err, stderr.String())
			return
		}
		recipeErr = json.Unmarshal(out, &theRecipe)
	})
	if recipeErr != nil {
		t.Fatal(recipeErr)
	}
	return theRecipe
}

// build runs the builder into out and returns out.
func build(t *testing.T, out string) error {
	t.Helper()
	start := time.Now()
	var output bytes.Buffer
	cmd := builder(t, "-src", absRoot(t), "-out", out)
	cmd.Stdout, cmd.Stderr = &output, &output
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("hack/image: %v\n%s", err, output.String())
	}
	t.Logf("built in %s:\n%s", time.Since(start).Round(time.Second), output.String())
	return nil
}

// firstBuild is the tarball every check reads, built once.
func firstBuild(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "ucdeploy-image-test-")
		if err != nil {
			buildErr = err
			return
		}
		built = filepath.Join(dir, "ucdeploy-image.tar")
		buildErr = build(t, built)
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built != "" {
		os.RemoveAll(filepath.Dir(built))
	}
	os.Exit(code)
}

// archive is the tarball's entries in order.
type archive struct {
	headers []*tar.Header
	files   map[string][]byte
}

func readArchive(t *testing.T, path string) *archive {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	a := &archive{files: map[string][]byte{}}
	tr := tar.NewReader(bufio.NewReader(f))
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return a
		}
		if err != nil {
			t.Fatal(err)
		}
		a.headers = append(a.headers, hdr)
		if hdr.Typeflag == tar.TypeReg {
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			a.files[hdr.Name] = data
		}
	}
}

func digestOf(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// blob returns the blob named by d, checking its digest and size.
func (a *archive) blob(t *testing.T, d descriptor) []byte {
	t.Helper()
	hexDigest, ok := strings.CutPrefix(d.Digest, "sha256:")
	if !ok {
		t.Fatalf("digest %q: want sha256", d.Digest)
	}
	data, ok := a.files["blobs/sha256/"+hexDigest]
	if !ok {
		t.Fatalf("no blob %s in the archive", d.Digest)
	}
	if got := digestOf(data); got != d.Digest {
		t.Fatalf("blob %s hashes to %s", d.Digest, got)
	}
	if d.Size != 0 && int64(len(data)) != d.Size {
		t.Fatalf("blob %s: %d bytes, descriptor says %d", d.Digest, len(data), d.Size)
	}
	return data
}

func unmarshal(t *testing.T, what string, data []byte, v any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v\n%s", what, err, data)
	}
}

// The OCI structures this test reads.
type (
	platform struct {
		OS           string `json:"os"`
		Architecture string `json:"architecture"`
		Variant      string `json:"variant,omitempty"`
	}
	descriptor struct {
		MediaType   string            `json:"mediaType"`
		Digest      string            `json:"digest"`
		Size        int64             `json:"size"`
		Platform    *platform         `json:"platform,omitempty"`
		Annotations map[string]string `json:"annotations,omitempty"`
	}
	index struct {
		SchemaVersion int          `json:"schemaVersion"`
		MediaType     string       `json:"mediaType"`
		Manifests     []descriptor `json:"manifests"`
	}
	manifest struct {
		SchemaVersion int          `json:"schemaVersion"`
		MediaType     string       `json:"mediaType"`
		Config        descriptor   `json:"config"`
		Layers        []descriptor `json:"layers"`
	}
	imageConfig struct {
		Architecture string    `json:"architecture"`
		OS           string    `json:"os"`
		Variant      string    `json:"variant"`
		Created      time.Time `json:"created"`
		Config       struct {
			User         string              `json:"User"`
			Entrypoint   []string            `json:"Entrypoint"`
			Cmd          []string            `json:"Cmd"`
			Env          []string            `json:"Env"`
			WorkingDir   string              `json:"WorkingDir"`
			Labels       map[string]string   `json:"Labels"`
			ExposedPorts map[string]struct{} `json:"ExposedPorts"`
			Volumes      map[string]struct{} `json:"Volumes"`
		} `json:"config"`
		RootFS struct {
			Type    string   `json:"type"`
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
		History []struct {
			Created   time.Time `json:"created"`
			CreatedBy string    `json:"created_by"`
		} `json:"history"`
	}
	// dockerManifest is an entry of docker save's manifest.json.
	dockerManifest struct {
		Config   string
		RepoTags []string
		Layers   []string
	}
)

// platformImage is one platform's image, unpacked.
type platformImage struct {
	platform string
	manifest descriptor
	config   imageConfig
	configD  descriptor
	layerD   descriptor
	binary   []byte // the layer's only file
}

// git runs git in the repository; ok is false outside a git checkout.
func git(t *testing.T, args ...string) (string, bool) {
	t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = absRoot(t)
	cmd.Env = append(os.Environ(), "GIT_OPTIONAL_LOCKS=0")
	out, err := cmd.Output()
	return strings.TrimSpace(string(out)), err == nil
}

// wantCreated is the time the builder must stamp everywhere: SOURCE_DATE_EPOCH, else the commit
// time of HEAD, else the Unix epoch.
func wantCreated(t *testing.T) time.Time {
	t.Helper()
	if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
		sec, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return time.Unix(sec, 0).UTC()
	}
	if ct, ok := git(t, "log", "-1", "--format=%ct", "HEAD"); ok {
		sec, err := strconv.ParseInt(ct, 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		return time.Unix(sec, 0).UTC()
	}
	return time.Unix(0, 0).UTC()
}

// TestImageAsARuntimeSeesIt unpacks the tarball and checks it as docker, podman or a kubelet's
// runtime would use it: the layout, both platforms, the config (non-root numeric user, the
// entrypoint, no Cmd), one layer holding the binary alone, a static binary built with the
// recipe's flags, and the amd64 binary running as the image's user in a root filesystem that
// holds nothing else and that it cannot write.
func TestImageAsARuntimeSeesIt(t *testing.T) {
	path := firstBuild(t)
	r := getRecipe(t)
	a := readArchive(t, path)
	created := wantCreated(t)

	// The archive: an OCI layout plus docker's manifest.json, root-owned, at the fixed time.
	var names []string
	for _, h := range a.headers {
		names = append(names, h.Name)
		if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" {
			t.Errorf("archive entry %s: owner %d/%d %q/%q, want 0/0 without names", h.Name, h.Uid, h.Gid, h.Uname, h.Gname)
		}
		if !h.ModTime.Equal(created) {
			t.Errorf("archive entry %s: time %s, want %s", h.Name, h.ModTime.UTC(), created)
		}
	}
	if len(names) < 5 || !slices.Equal(names[:5], []string{"oci-layout", "index.json", "manifest.json", "blobs/", "blobs/sha256/"}) {
		t.Fatalf("archive entries %q: want oci-layout, index.json, manifest.json, blobs/, blobs/sha256/, then the blobs", names)
	}
	blobNames := names[5:]
	if !slices.IsSorted(blobNames) {
		t.Errorf("blobs are not in sorted order: %q", blobNames)
	}
	var layoutVersion struct {
		ImageLayoutVersion string `json:"imageLayoutVersion"`
	}
	unmarshal(t, "oci-layout", a.files["oci-layout"], &layoutVersion)
	if layoutVersion.ImageLayoutVersion != "1.0.0" {
		t.Errorf("oci-layout: version %q", layoutVersion.ImageLayoutVersion)
	}
	used := map[string]bool{}
	use := func(d descriptor) []byte {
		used["blobs/sha256/"+strings.TrimPrefix(d.Digest, "sha256:")] = true
		return a.blob(t, d)
	}

	// index.json: one entry, the multi-platform index, named by the default tag.
	var top index
	unmarshal(t, "index.json", a.files["index.json"], &top)
	if top.SchemaVersion != 2 || top.MediaType != ociIndex || len(top.Manifests) != 1 || top.Manifests[0].MediaType != ociIndex {
		t.Fatalf("index.json: want one OCI index entry:\n%s", a.files["index.json"])
	}
	_, tagName, _ := strings.Cut(r.Tag, ":")
	if ann := top.Manifests[0].Annotations; ann["org.opencontainers.image.ref.name"] != tagName ||
		!strings.HasSuffix(ann["io.containerd.image.name"], "/"+r.Tag) {
		t.Errorf("index.json annotations %v: want the tag %s", ann, r.Tag)
	}
	var idx index
	unmarshal(t, "the image index", use(top.Manifests[0]), &idx)
	if idx.SchemaVersion != 2 || idx.MediaType != ociIndex {
		t.Errorf("image index: schema %d, media type %q", idx.SchemaVersion, idx.MediaType)
	}
	var platforms []string
	images := map[string]*platformImage{}
	for _, d := range idx.Manifests {
		if d.Platform == nil || d.MediaType != ociManifest {
			t.Fatalf("index entry %+v: want an OCI image manifest with a platform", d)
		}
		p := d.Platform.OS + "/" + d.Platform.Architecture
		if d.Platform.Variant != "" {
			p += "/" + d.Platform.Variant
		}
		platforms = append(platforms, p)
		images[p] = checkPlatformImage(t, r, p, d, use, created)
	}
	if !slices.Equal(platforms, r.Platforms) {
		t.Fatalf("index platforms %q, want %q", platforms, r.Platforms)
	}

	// manifest.json: docker load's view, the first platform's image.
	var dm []dockerManifest
	unmarshal(t, "manifest.json", a.files["manifest.json"], &dm)
	host := images[r.Platforms[0]]
	if len(dm) != 1 || !slices.Equal(dm[0].RepoTags, []string{r.Tag}) || len(dm[0].Layers) != 1 {
		t.Fatalf("manifest.json %+v: want one image tagged %s with one layer", dm, r.Tag)
	}
	if want := "blobs/sha256/" + strings.TrimPrefix(host.configD.Digest, "sha256:"); dm[0].Config != want {
		t.Errorf("manifest.json config %s, want %s's %s", dm[0].Config, r.Platforms[0], want)
	}
	if want := "blobs/sha256/" + strings.TrimPrefix(host.layerD.Digest, "sha256:"); dm[0].Layers[0] != want {
		t.Errorf("manifest.json layer %s, want %s's %s", dm[0].Layers[0], r.Platforms[0], want)
	}
	for _, b := range blobNames {
		if !used[b] {
			t.Errorf("blob %s is referenced by nothing", b)
		}
	}

	// The binaries: static, stripped, built with the recipe.
	for _, p := range r.Platforms {
		checkBinary(t, r, p, images[p].binary)
	}

	// Run the binary that this machine can run, as the runtime would.
	native := runtime.GOOS + "/" + runtime.GOARCH
	img, ok := images[native]
	if !ok {
		t.Logf("no %s image: not running a binary", native)
		return
	}
	runAsContainer(t, r, img)
}

// checkPlatformImage checks one platform's manifest, config and layer.
func checkPlatformImage(t *testing.T, r recipe, p string, d descriptor, use func(descriptor) []byte, created time.Time) *platformImage {
	t.Helper()
	pi := &platformImage{platform: p, manifest: d}
	var m manifest
	unmarshal(t, p+" manifest", use(d), &m)
	if m.SchemaVersion != 2 || m.MediaType != ociManifest || m.Config.MediaType != ociConfig {
		t.Errorf("%s manifest: schema %d, media types %q and %q", p, m.SchemaVersion, m.MediaType, m.Config.MediaType)
	}
	if len(m.Layers) != 1 || m.Layers[0].MediaType != ociLayerGz {
		t.Fatalf("%s: layers %+v, want one gzip OCI layer", p, m.Layers)
	}
	pi.configD, pi.layerD = m.Config, m.Layers[0]
	unmarshal(t, p+" config", use(m.Config), &pi.config)
	c := pi.config

	if got := c.OS + "/" + c.Architecture; got != p {
		t.Errorf("%s config: platform %s", p, got)
	}
	if !slices.Equal(c.Config.Entrypoint, r.Entrypoint) || len(c.Config.Cmd) != 0 {
		t.Errorf("%s config: entrypoint %q cmd %q, want entrypoint %q and no cmd", p, c.Config.Entrypoint, c.Config.Cmd, r.Entrypoint)
	}
	uid, gid := r.uidGID(t)
	if c.Config.User != r.User || uid == 0 || gid == 0 {
		t.Errorf("%s config: user %q, want %q (not root)", p, c.Config.User, r.User)
	}
	if c.Config.WorkingDir != "" || len(c.Config.Volumes) != 0 || len(c.Config.ExposedPorts) != 0 {
		t.Errorf("%s config: working dir %q, volumes %v, ports %v: want none (nothing to write, ports come from the manifests)",
			p, c.Config.WorkingDir, c.Config.Volumes, c.Config.ExposedPorts)
	}
	labels := c.Config.Labels
	if labels["org.opencontainers.image.source"] != sourceURL || labels["org.opencontainers.image.licenses"] != license ||
		labels["org.opencontainers.image.version"] == "" {
		t.Errorf("%s config: labels %v", p, labels)
	}
	if rev, ok := git(t, "rev-parse", "HEAD"); ok && labels["org.opencontainers.image.revision"] != rev {
		t.Errorf("%s config: revision label %q, want %s", p, labels["org.opencontainers.image.revision"], rev)
	}
	if !c.Created.Equal(created) {
		t.Errorf("%s config: created %s, want %s", p, c.Created, created)
	}
	if len(c.History) != 1 || !c.History[0].Created.Equal(created) {
		t.Errorf("%s config: history %+v, want one entry at %s", p, c.History, created)
	}

	// The layer: gzip, one regular file, the binary, root-owned, not writable by the user.
	gz := use(m.Layers[0])
	zr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatalf("%s layer: %v", p, err)
	}
	if !zr.ModTime.IsZero() || zr.Name != "" {
		t.Errorf("%s layer: gzip header time %s name %q, want none", p, zr.ModTime, zr.Name)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s layer: %v", p, err)
	}
	if c.RootFS.Type != "layers" || len(c.RootFS.DiffIDs) != 1 || c.RootFS.DiffIDs[0] != digestOf(raw) {
		t.Errorf("%s config: rootfs %+v, want the layer's diff ID %s", p, c.RootFS, digestOf(raw))
	}
	tr := tar.NewReader(bytes.NewReader(raw))
	var entries []string
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("%s layer: %v", p, err)
		}
		entries = append(entries, hdr.Name)
		if hdr.Name != strings.TrimPrefix(r.Binary, "/") || hdr.Typeflag != tar.TypeReg {
			continue
		}
		if hdr.Mode != r.BinaryMode || hdr.Uid != 0 || hdr.Gid != 0 || hdr.Uname != "" || hdr.Gname != "" || !hdr.ModTime.Equal(created) {
			t.Errorf("%s layer: %s mode %o owner %d/%d %q/%q time %s; want mode %o, root without names, %s",
				p, hdr.Name, hdr.Mode, hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname, hdr.ModTime.UTC(), r.BinaryMode, created)
		}
		if pi.binary, err = io.ReadAll(tr); err != nil {
			t.Fatal(err)
		}
	}
	// No shell, no /tmp, no /etc: the binary is the whole filesystem.
	if len(entries) != 1 || pi.binary == nil {
		t.Fatalf("%s layer entries %q: want the one regular file %s", p, entries, r.Binary)
	}
	return pi
}

// checkBinary checks that the binary is a static, stripped ELF for its platform, built with the
// recipe's environment and flags (Go records them in the binary).
func checkBinary(t *testing.T, r recipe, p string, bin []byte) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(bin))
	if err != nil {
		t.Fatalf("%s binary: %v", p, err)
	}
	defer f.Close()
	machines := map[string]elf.Machine{"linux/amd64": elf.EM_X86_64, "linux/arm64": elf.EM_AARCH64}
	if want, ok := machines[p]; !ok || f.Machine != want || f.Class != elf.ELFCLASS64 {
		t.Errorf("%s binary: machine %s class %s", p, f.Machine, f.Class)
	}
	for _, prog := range f.Progs {
		if prog.Type == elf.PT_INTERP || prog.Type == elf.PT_DYNAMIC {
			t.Errorf("%s binary: has a %s program header: not static", p, prog.Type)
		}
	}
	if libs, err := f.ImportedLibraries(); err == nil && len(libs) > 0 {
		t.Errorf("%s binary: needs %q: not static", p, libs)
	}
	for _, s := range []string{".symtab", ".debug_info", ".zdebug_info"} {
		if f.Section(s) != nil {
			t.Errorf("%s binary: has %s: not stripped (-ldflags \"-s -w\")", p, s)
		}
	}

	info, err := buildinfo.Read(bytes.NewReader(bin))
	if err != nil {
		t.Fatalf("%s binary: no build info: %v", p, err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	goos, goarch, _ := strings.Cut(p, "/")
	want := map[string]string{"GOOS": goos, "GOARCH": goarch}
	for _, e := range r.Env {
		k, v, _ := strings.Cut(e, "=")
		want[k] = v
	}
	for i := 0; i < len(r.BuildFlags); i++ {
		switch f := r.BuildFlags[i]; f {
		case "-ldflags":
			// Go leaves -ldflags out of the build info of a -trimpath build; the missing
			// symbol table and DWARF above are what -s -w do.
			i++
		default:
			want[f] = "true"
		}
	}
	for k, v := range want {
		if settings[k] != v {
			t.Errorf("%s binary: built with %s=%q, want %q (all settings: %v)", p, k, settings[k], v, settings)
		}
	}
	if want := path.Join("github.com/ucdeploy/ucdeploy", r.Package); info.Path != want {
		t.Errorf("%s binary: main package %s, want %s", p, info.Path, want)
	}
}

// runAsContainer runs the image's binary the way a runtime runs the container: the layer is the
// whole root filesystem, the process has the image's user and an empty environment, and the
// manifests' read-only root filesystem is implied (the user can write nothing there). As root
// the test chroots into the unpacked layer; otherwise it runs the binary from a read-only
// directory.
func runAsContainer(t *testing.T, r recipe, img *platformImage) {
	rootfs := filepath.Join(t.TempDir(), "rootfs")
	if err := os.Mkdir(rootfs, 0o755); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(rootfs, strings.TrimPrefix(r.Binary, "/"))
	if err := os.WriteFile(bin, img.binary, os.FileMode(r.BinaryMode)); err != nil {
		t.Fatal(err)
	}
	uid, gid := r.uidGID(t)
	chroot := os.Geteuid() == 0
	if !chroot {
		t.Logf("not root: running %s from a read-only directory instead of chrooted as %s", r.Binary, r.User)
		if err := os.Chmod(rootfs, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(rootfs, 0o755) })
	}
	run := func(args ...string) (stdout, stderr string, code int) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		argv := append(slices.Clone(r.Entrypoint), args...)
		var cmd *exec.Cmd
		if chroot {
			cmd = exec.CommandContext(ctx, argv[0], argv[1:]...)
			cmd.Dir = "/"
			cmd.SysProcAttr = &syscall.SysProcAttr{
				Chroot:     rootfs,
				Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}},
			}
		} else {
			cmd = exec.CommandContext(ctx, filepath.Join(rootfs, strings.TrimPrefix(argv[0], "/")), argv[1:]...)
			cmd.Dir = rootfs
		}
		cmd.Env = []string{}
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		var exit *exec.ExitError
		switch {
		case err == nil:
		case errors.As(err, &exit) && exit.Exited():
			code = exit.ExitCode()
		default:
			t.Fatalf("%q: %v (a crash or a timeout)\nstderr: %s", argv, err, e.String())
		}
		return o.String(), e.String(), code
	}

	// The image holds the manager alone (cmd/manager): the offline commands are the CLI's, and the
	// manager names the CLI instead of starting with a stray argument.
	_, errOut, code := run("plan", "-f", "-")
	if code != 1 || !strings.Contains(errOut, "commands of the ucdeploy CLI") {
		t.Errorf("plan in the image: exit %d, stderr: %s", code, errOut)
	}

	// The manager's flags: --help prints them (flag's usage; the manager exits 1 on it).
	_, errOut, code = run("--help")
	if !strings.Contains(errOut, "-leader-elect") || !strings.Contains(errOut, "-metrics-bind-address") || code == 0 {
		t.Errorf("--help: exit %d, stderr: %s", code, errOut)
	}

	// The manager itself starts, then stops at the missing cluster configuration: no file of a
	// base image or writable directory is needed to get there.
	_, errOut, code = run()
	if code != 1 || !strings.Contains(errOut, "kubeconfig") {
		t.Errorf("the manager without a cluster: exit %d, stderr: %s", code, errOut)
	}

	how := "chrooted into the layer as " + r.User
	if !chroot {
		how = "from a read-only directory"
	}
	t.Logf("ran %s (a stray command, --help, the manager) %s with an empty environment", r.Binary, how)

	entries, err := os.ReadDir(rootfs)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("the binary wrote to its root filesystem: %v", entries)
	}
}

// TestReproducible builds the image a second time: the same source gives the same tarball, byte
// for byte, and so the same index digest.
func TestReproducible(t *testing.T) {
	first := firstBuild(t)
	second := filepath.Join(t.TempDir(), "ucdeploy-image.tar")
	if err := build(t, second); err != nil {
		t.Fatal(err)
	}
	a, b := readArchive(t, first), readArchive(t, second)
	var ia, ib index
	unmarshal(t, "index.json", a.files["index.json"], &ia)
	unmarshal(t, "index.json", b.files["index.json"], &ib)
	if len(ia.Manifests) != 1 || len(ib.Manifests) != 1 || ia.Manifests[0].Digest != ib.Manifests[0].Digest {
		t.Errorf("index digests differ:\n%s\n%s", a.files["index.json"], b.files["index.json"])
	}
	da, err := os.ReadFile(first)
	if err != nil {
		t.Fatal(err)
	}
	db, err := os.ReadFile(second)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(da, db) {
		var names []string
		for _, h := range a.headers {
			names = append(names, h.Name)
		}
		for _, h := range b.headers {
			if _, ok := a.files[h.Name]; !ok {
				names = append(names, h.Name)
			}
		}
		var diffs []string
		for _, n := range names {
			if !bytes.Equal(a.files[n], b.files[n]) {
				diffs = append(diffs, n)
			}
		}
		t.Errorf("two builds differ (%d and %d bytes); entries that differ: %q", len(da), len(db), diffs)
	}
}

// TestDockerfileFollowsTheRecipe: the Dockerfile builds what make image builds. Its go build
// has the recipe's environment, flags and package; its final stage is the recipe's base with the
// binary alone, the recipe's user and entrypoint, and no CMD.
func TestDockerfileFollowsTheRecipe(t *testing.T) {
	r := getRecipe(t)
	data, err := os.ReadFile(filepath.Join(absRoot(t), "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	type instruction struct{ cmd, args string }
	type stage struct {
		from, name   string
		instructions []instruction
	}
	var stages []*stage
	text := strings.ReplaceAll(string(data), "\\\n", " ")
	for line := range strings.Lines(text) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cmd, args, _ := strings.Cut(line, " ")
		cmd, args = strings.ToUpper(cmd), strings.TrimSpace(args)
		if cmd == "FROM" {
			f := strings.Fields(args)
			s := &stage{}
			for i := 0; i < len(f); i++ {
				switch {
				case strings.HasPrefix(f[i], "--"):
				case strings.EqualFold(f[i], "AS") && i+1 < len(f):
					s.name = f[i+1]
					i++
				default:
					s.from = f[i]
				}
			}
			stages = append(stages, s)
			continue
		}
		if len(stages) == 0 {
			if cmd != "ARG" {
				t.Fatalf("Dockerfile: %s before FROM", cmd)
			}
			continue
		}
		s := stages[len(stages)-1]
		s.instructions = append(s.instructions, instruction{cmd, args})
	}
	if len(stages) < 2 {
		t.Fatalf("Dockerfile: %d stages, want a build stage and the image", len(stages))
	}

	// The build: the one go build.
	var goBuild []string
	buildStage := ""
	for _, s := range stages[:len(stages)-1] {
		for _, in := range s.instructions {
			if in.cmd == "RUN" && strings.Contains(in.args, "go build") {
				if goBuild != nil {
					t.Fatalf("Dockerfile: more than one go build")
				}
				goBuild, buildStage = shellWords(t, in.args), s.name
			}
		}
	}
	if goBuild == nil {
		t.Fatal("Dockerfile: no RUN ... go build")
	}
	var env []string
	i := 0
	for ; i < len(goBuild) && strings.Contains(goBuild[i], "=") && !strings.HasPrefix(goBuild[i], "-"); i++ {
		env = append(env, goBuild[i])
	}
	if !slices.Equal(sorted(env), sorted(r.Env)) {
		t.Errorf("Dockerfile go build environment %q, make image's %q", env, r.Env)
	}
	// [ENV=...] go build FLAGS -o OUT PACKAGE
	rest := goBuild[i:]
	o := slices.Index(rest, "-o")
	if len(rest) < 2 || rest[0] != "go" || rest[1] != "build" || o < 2 || len(rest) != o+3 {
		t.Fatalf("Dockerfile: cannot read %q as [ENV=...] go build FLAGS -o OUT PACKAGE", goBuild)
	}
	if flags := rest[2:o]; !slices.Equal(flags, r.BuildFlags) {
		t.Errorf("Dockerfile go build flags %q, make image's %q", flags, r.BuildFlags)
	}
	if pkg := rest[o+2]; pkg != r.Package {
		t.Errorf("Dockerfile go build package %s, make image's %s", pkg, r.Package)
	}
	out := rest[o+1]

	// The image: the base, the binary alone, the user, the entrypoint.
	final := stages[len(stages)-1]
	if final.from != r.Base {
		t.Errorf("Dockerfile: the image is FROM %s, make image's base is %s", final.from, r.Base)
	}
	var user, entrypoint string
	var copies []string
	for _, in := range final.instructions {
		switch in.cmd {
		case "USER":
			user = in.args
		case "ENTRYPOINT":
			entrypoint = in.args
		case "COPY", "ADD":
			copies = append(copies, in.args)
		case "CMD", "RUN", "VOLUME", "WORKDIR":
			t.Errorf("Dockerfile: the image has %s %s; make image's has none", in.cmd, in.args)
		}
	}
	if want := "--from=" + buildStage + " " + out + " " + r.Binary; len(copies) != 1 || strings.Join(strings.Fields(copies[0]), " ") != want {
		t.Errorf("Dockerfile: the image copies %q, want only COPY %s", copies, want)
	}
	if user != r.User {
		t.Errorf("Dockerfile: USER %q, make image's %q", user, r.User)
	}
	var ep []string
	if err := json.Unmarshal([]byte(entrypoint), &ep); err != nil || !slices.Equal(ep, r.Entrypoint) {
		t.Errorf("Dockerfile: ENTRYPOINT %s, want the exec form of make image's %q", entrypoint, r.Entrypoint)
	}
}

// shellWords splits a RUN line into words, honouring double and single quotes; it refuses
// anything more (pipes, ;, &&, $), which the go build line must not need.
func shellWords(t *testing.T, s string) []string {
	t.Helper()
	if strings.ContainsAny(s, "|;&$`\\") {
		t.Fatalf("Dockerfile: the go build line %q is more than one plain command", s)
	}
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, c := range s {
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteRune(c)
			}
		case c == '"' || c == '\'':
			quote, inWord = c, true
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(c)
			inWord = true
		}
	}
	if quote != 0 {
		t.Fatalf("Dockerfile: unbalanced quote in %q", s)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

func sorted(s []string) []string {
	s = slices.Clone(s)
	slices.Sort(s)
	return s
}

// TestManifestsRunTheImage: the kustomize install and the Helm chart run the image the way it is
// built. They name the builder's default tag, leave the entrypoint alone (args only: flags for
// the manager), and run it as the image's numeric user, non-root, without privilege escalation,
// on a read-only root filesystem, which the image's single read-only file allows. test/chart
// checks that the chart renders the same pod as kustomize; this test reads the chart's template
// and values directly.
func TestManifestsRunTheImage(t *testing.T) {
	r := getRecipe(t)
	uid, gid := r.uidGID(t)

	out, err := exec.Command("kubectl", "kustomize", filepath.Join(absRoot(t), "config", "default")).CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl kustomize config/default: %v\n%s", err, out)
	}
	var deployments []appsv1.Deployment
	for _, doc := range strings.Split(string(out), "\n---\n") {
		var meta struct{ Kind string }
		if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
			t.Fatal(err)
		}
		if meta.Kind == "Deployment" {
			var d appsv1.Deployment
			if err := yaml.UnmarshalStrict([]byte(doc), &d); err != nil {
				t.Fatal(err)
			}
			deployments = append(deployments, d)
		}
	}
	if len(deployments) != 1 {
		t.Fatalf("config/default: %d Deployments, want 1", len(deployments))
	}
	pod := deployments[0].Spec.Template.Spec
	if len(pod.Containers) != 1 || len(pod.InitContainers) != 0 {
		t.Fatalf("config/default: %d containers and %d init containers, want the manager alone", len(pod.Containers), len(pod.InitContainers))
	}
	c := pod.Containers[0]
	if c.Image != r.Tag {
		t.Errorf("config/default: image %s, make image tags %s", c.Image, r.Tag)
	}
	if len(c.Command) != 0 && !slices.Equal(c.Command, r.Entrypoint) {
		t.Errorf("config/default: command %q replaces the image's entrypoint %q", c.Command, r.Entrypoint)
	}
	for _, a := range c.Args {
		if !strings.HasPrefix(a, "-") {
			t.Errorf("config/default: argument %q: the entrypoint runs the manager, whose arguments are flags", a)
		}
	}
	checkSecurity(t, "config/default", pod.SecurityContext, c.SecurityContext, uid, gid)

	// The chart: its values, and a template that uses them and sets no command.
	chart := filepath.Join(absRoot(t), "charts", "ucdeploy")
	valuesData, err := os.ReadFile(filepath.Join(chart, "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var values struct {
		Image struct {
			Repository string `json:"repository"`
			Tag        string `json:"tag"`
		} `json:"image"`
		PodSecurityContext *corev1.PodSecurityContext `json:"podSecurityContext"`
		SecurityContext    *corev1.SecurityContext    `json:"securityContext"`
	}
	if err := yaml.Unmarshal(valuesData, &values); err != nil {
		t.Fatal(err)
	}
	chartYAML, err := os.ReadFile(filepath.Join(chart, "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var meta struct {
		AppVersion string `json:"appVersion"`
	}
	if err := yaml.Unmarshal(chartYAML, &meta); err != nil {
		t.Fatal(err)
	}
	tag := values.Image.Tag
	if tag == "" {
		tag = meta.AppVersion // the template's default
	}
	if got := values.Image.Repository + ":" + tag; got != r.Tag {
		t.Errorf("chart values: image %s (tag %q, appVersion %q), make image tags %s", got, values.Image.Tag, meta.AppVersion, r.Tag)
	}
	checkSecurity(t, "chart values", values.PodSecurityContext, values.SecurityContext, uid, gid)
	tmpl, err := os.ReadFile(filepath.Join(chart, "templates", "deployment.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`\.Values\.podSecurityContext \}\}\s*\n\s*securityContext:`),
		regexp.MustCompile(`\.Values\.securityContext \}\}\s*\n\s*securityContext:`),
		regexp.MustCompile(`image: "\{\{ \.Values\.image\.repository \}\}:\{\{ \.Values\.image\.tag`),
	} {
		if !want.Match(tmpl) {
			t.Errorf("chart deployment.yaml: no %s", want)
		}
	}
	if regexp.MustCompile(`(?m)^\s*command:`).Match(tmpl) {
		t.Errorf("chart deployment.yaml sets a command; the image's entrypoint is %q", r.Entrypoint)
	}
}

// checkSecurity checks the effective security settings of the manager container: the
// container's, else the pod's.
func checkSecurity(t *testing.T, where string, pod *corev1.PodSecurityContext, c *corev1.SecurityContext, uid, gid int64) {
	t.Helper()
	if pod == nil {
		pod = &corev1.PodSecurityContext{}
	}
	if c == nil {
		c = &corev1.SecurityContext{}
	}
	runAsUser, runAsGroup, nonRoot := pod.RunAsUser, pod.RunAsGroup, pod.RunAsNonRoot
	if c.RunAsUser != nil {
		runAsUser = c.RunAsUser
	}
	if c.RunAsGroup != nil {
		runAsGroup = c.RunAsGroup
	}
	if c.RunAsNonRoot != nil {
		nonRoot = c.RunAsNonRoot
	}
	if runAsUser == nil || *runAsUser != uid || runAsGroup == nil || *runAsGroup != gid {
		t.Errorf("%s: runAsUser %v runAsGroup %v, want the image's user %d:%d", where, deref(runAsUser), deref(runAsGroup), uid, gid)
	}
	if nonRoot == nil || !*nonRoot {
		t.Errorf("%s: runAsNonRoot %v, want true", where, deref(nonRoot))
	}
	if c.ReadOnlyRootFilesystem == nil || !*c.ReadOnlyRootFilesystem {
		t.Errorf("%s: readOnlyRootFilesystem %v, want true", where, deref(c.ReadOnlyRootFilesystem))
	}
	if c.AllowPrivilegeEscalation == nil || *c.AllowPrivilegeEscalation {
		t.Errorf("%s: allowPrivilegeEscalation %v, want false", where, deref(c.AllowPrivilegeEscalation))
	}
	if c.Privileged != nil && *c.Privileged {
		t.Errorf("%s: privileged", where)
	}
}

func deref[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}
