package plan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ucdeploy/ucdeploy/api/v1alpha1"
)

// windowsReleases are the Windows Server releases, oldest first, as the PFX rules compare them.
var windowsReleases = []string{"2003", "2008", "2008 R2", "2012", "2012 R2", "2016", "2019", "2022", "2025"}

// newestWindows is the newest Windows Server each product release runs on, where the product
// documentation is clear: OCS 2007 R2 on 2008, Lync 2010 on 2008 R2, Lync 2013 and Exchange
// 2010/2013 on 2012 R2, Skype for Business Server 2015 and Exchange 2016 on 2016, Office Online
// Server on 2022 (S-OOS-PLAN). Skype for Business Server 2019/SE and Exchange 2019/SE are left
// out: what their later updates support is [UNCERTAIN] (DOMAIN-CURRENT.md §1.1, §5).
var newestWindows = map[string]string{
	string(v1alpha1.OCS2007R2):                  "2008",
	string(v1alpha1.Lync2010):                   "2008 R2",
	string(v1alpha1.Lync2013):                   "2012 R2",
	string(v1alpha1.SfB2015):                    "2016",
	"Exchange " + string(v1alpha1.Exchange2007): "2008",
	"Exchange " + string(v1alpha1.Exchange2010): "2012 R2",
	"Exchange " + string(v1alpha1.Exchange2013): "2012 R2",
	"Exchange " + string(v1alpha1.Exchange2016): "2016",
	"Office Online Server":                      "2022",
}

// PKCS12Profile is the keystore encryption the oldest importing Windows Server reads (R-K8S-01,
// DOMAIN-CURRENT.md §4.3): LegacyDES (3DES, HMAC-SHA1) for 2016 or an unknown release, which
// cannot import AES-256 PFX files; Modern2023 (AES-256-CBC, PBKDF2, HMAC-SHA256) from 2019 on.
// Never cert-manager's implicit LegacyRC2 (RC2-40, which OpenSSL 3 refuses by default), and never
// Modern2026 (PBMAC1), which no Windows release is known to read [UNCERTAIN].
func PKCS12Profile(oldest v1alpha1.WindowsVersion) string {
	if windowsIndex(string(oldest)) >= windowsIndex(modernPFXFrom) {
		return "Modern2023"
	}
	return "LegacyDES"
}

// keystoreProfile is the plan's KeystoreProfile: empty without spec.certificates.pkcs12.
func keystoreProfile(in *input) string {
	if in.certs.PKCS12 == nil {
		return ""
	}
	return PKCS12Profile(in.certs.PKCS12.OldestWindows)
}

// modernPFXFrom is the first Windows Server that imports AES-256 (PBES2) PFX files, the
// Modern2023 profile (DOMAIN-CURRENT.md §4.3).
const modernPFXFrom = "2019"

// importingProducts are the planned products that import the PFX files, by newestWindows key.
func importingProducts(in *input) []string {
	var out []string
	if in.onPremises() {
		out = append(out, string(in.ocsVersion()))
		if in.ocs.OfficeOnlineServer != nil && in.atLeast(v1alpha1.Lync2013) {
			out = append(out, "Office Online Server")
		}
	}
	if in.exchange != nil {
		out = append(out, "Exchange "+string(in.exchangeVersion()))
	}
	return out
}

// checkPKCS12Profile (R-K8S-01, DOMAIN-CURRENT.md §4.3): pkcs12.oldestWindows picks the keystore
// encryption. From 2019 on it is AES-256 (Modern2023), which Windows Server 2016 and older cannot
// import: the import fails as a wrong password. When a planned product runs on no Windows that
// new, its servers cannot import the PFX. (oldestWindows 2016, the lowest value, gives 3DES,
// which every Windows reads: no finding, even for a product whose newest Windows is older.)
func checkPKCS12Profile(d *draft) []Finding {
	p := d.in.certs.PKCS12
	if p == nil || len(d.groups) == 0 {
		return nil
	}
	oldest := string(p.OldestWindows)
	if windowsIndex(oldest) < windowsIndex(modernPFXFrom) {
		return nil
	}
	var stuck []string
	for _, product := range importingProducts(d.in) {
		newest, known := newestWindows[product]
		if known && windowsIndex(newest) < windowsIndex(oldest) {
			stuck = append(stuck, fmt.Sprintf("%s (Windows Server %s at the newest)", product, newest))
		}
	}
	if len(stuck) == 0 {
		return nil
	}
	return []Finding{finding(SeverityError, CodePKCS12ProfileUnreadable, "spec.certificates.pkcs12.oldestWindows", "R-K8S-01",
		"pkcs12.oldestWindows is %s, so the PFX files are AES-256 (Modern2023), but %s cannot run on Windows Server %s or later and older Windows rejects AES-256 PFX files as a wrong password: set oldestWindows to 2016 (3DES, LegacyDES)",
		oldest, strings.Join(stuck, " and "), modernPFXFrom)}
}

// windowsIndex is the position of a Windows Server release in windowsReleases; an unknown one
// counts as the oldest.
func windowsIndex(release string) int {
	return max(slices.Index(windowsReleases, release), 0)
}
