package install

import (
	"fmt"
	"slices"
	"strings"

	"github.com/ucdeploy/ucdeploy/internal/pwsh"
)

// steps are how one product imports and binds a certificate. Both write PowerShell at one level
// of indentation inside the script's switch on -Target, and are idempotent: a run that finds the
// certificate imported and bound changes nothing.
type steps struct {
	// requires is the check that the script runs in the product's own shell, before anything
	// else: the cmdlets it needs are not there otherwise. Empty when plain Windows PowerShell does.
	requires []string
	// importer imports $PfxPath unless the certificate with $thumbprint is already there, and
	// leaves the imported certificate in $cert.
	importer []string
	// bind binds $cert.Thumbprint for t, or prints the manual step.
	bind func(t Target, manual []string) []string
}

// products is the table of products: how each imports and binds (DOMAIN-CURRENT.md §4.2).
var products = map[Product]steps{
	OCS2007R2:    {importer: machineStoreImport, bind: manualAssignment("OCS 2007 R2 has no cmdlet that assigns a certificate; assign it by hand:")},
	ReverseProxy: {importer: machineStoreImport, bind: manualAssignment("Select the certificate on the web listener of the reverse proxy by hand:")},
	// Lync and Skype for Business read the certificate from the machine store by thumbprint.
	SkypeForBusiness:   {requires: needsShell("Get-CsCertificate", "the Skype for Business Server (Lync Server) Management Shell"), importer: machineStoreImport, bind: sfbBind},
	OfficeOnlineServer: {importer: machineStoreImport, bind: officeOnlineBind},
	// Exchange 2007 reads the PFX from a path. [UNCERTAIN] whether Exchange 2007 SP1+ also takes
	// -FileData; -Path is the form its documentation shows.
	Exchange2007: {requires: exchangeShell, importer: exchangeImport("-Path $PfxPath"), bind: exchangeBind},
	// Exchange 2010 takes the file's bytes (-FileData); it has no -Path.
	Exchange2010: {requires: exchangeShell, importer: exchangeImport("-FileData ([Byte[]][System.IO.File]::ReadAllBytes($PfxPath))"), bind: exchangeBind},
}

// exchangeShell checks for the Exchange Management Shell (issue 26 item 13).
var exchangeShell = needsShell("Get-ExchangeCertificate", "the Exchange Management Shell")

// needsShell stops the script unless cmdlet is available: the product's shell is not loaded.
func needsShell(cmdlet, shell string) []string {
	return []string{
		`if (-not (Get-Command ` + cmdlet + ` -ErrorAction SilentlyContinue)) {`,
		`    throw ` + pwsh.Quote("Run this script in "+shell+" on the server: "+cmdlet+" is not available here"),
		`}`,
	}
}

// machineStoreImport imports into Cert:\LocalMachine\My with an exportable key (R-K8S-04).
// Import-PfxCertificate comes with the PKI module of Windows Server 2012 and later; the servers
// of OCS 2007 R2 and ISA/TMG ran older Windows, where the same import is done through .NET.
var machineStoreImport = []string{
	`$cert = Get-Item -LiteralPath "Cert:\LocalMachine\My\$thumbprint" -ErrorAction SilentlyContinue`,
	`if ($cert) {`,
	`    Write-Host "Already in Cert:\LocalMachine\My: $thumbprint"`,
	`} elseif (Get-Command Import-PfxCertificate -ErrorAction SilentlyContinue) {`,
	`    $cert = Import-PfxCertificate -FilePath $PfxPath -CertStoreLocation Cert:\LocalMachine\My -Password $Password -Exportable |`,
	`        Where-Object { $_.Thumbprint -eq $thumbprint }`,
	`} else {`,
	`    # Windows Server 2008 R2 and older: no Import-PfxCertificate. The leaf alone goes into the`,
	`    # machine store; the CA certificates must already be trusted there.`,
	`    $flags = [System.Security.Cryptography.X509Certificates.X509KeyStorageFlags]'MachineKeySet,PersistKeySet,Exportable'`,
	`    $cert = New-Object System.Security.Cryptography.X509Certificates.X509Certificate2 -ArgumentList $PfxPath, $Password, $flags`,
	`    $store = New-Object System.Security.Cryptography.X509Certificates.X509Store -ArgumentList 'My', 'LocalMachine'`,
	`    $store.Open('ReadWrite')`,
	`    $store.Add($cert)`,
	`    $store.Close()`,
	`}`,
}

// exchangeImport imports with Import-ExchangeCertificate, the PFX given by source, keeping the key
// exportable so that the certificate can move to the other Exchange servers.
func exchangeImport(source string) []string {
	return []string{
		`$cert = Get-ExchangeCertificate -Thumbprint $thumbprint -ErrorAction SilentlyContinue`,
		`if ($cert) {`,
		`    Write-Host "Already imported into Exchange: $thumbprint"`,
		`} else {`,
		`    $cert = Import-ExchangeCertificate ` + source + ` -Password $Password -PrivateKeyExportable $true`,
		`}`,
	}
}

// exchangeBind enables the certificate for the target's services that do not use it yet
// (Enable-ExchangeCertificate -Services ... -Force: no prompt to replace the SMTP default). It
// refuses a certificate that is the Exchange Auth certificate (R-EX-11); with SMTP (hybrid mail
// flow, R-EX-04) it then re-points the hybrid connectors (R-EX-05) and checks the Exchange Online
// root (R-EX-10).
func exchangeBind(t Target, _ []string) []string {
	quoted := make([]string, len(t.Services))
	for i, s := range t.Services {
		quoted[i] = pwsh.Quote(s)
	}
	out := append(slices.Clone(notAuthCertificate), []string{
		`$services = @(` + strings.Join(quoted, ", ") + `)`,
		`$enabled = "$($cert.Services)" -split '[^A-Za-z]+'`,
		`$missing = @($services | Where-Object { $enabled -notcontains $_ })`,
		`if ($missing.Count -eq 0) {`,
		`    Write-Host "Exchange already uses $($cert.Thumbprint) for $($services -join ',')"`,
		`} else {`,
		`    Enable-ExchangeCertificate -Thumbprint $cert.Thumbprint -Services ($missing -join ',') -Force`,
		`    Write-Host "Enabled $($cert.Thumbprint) for $($missing -join ',')"`,
		`}`,
	}...)
	if slices.Contains(t.Services, "SMTP") {
		out = append(out, hybridConnectors...)
		out = append(out, exchangeOnlineRoot...)
	}
	return out
}

// notAuthCertificate (R-EX-11): the Exchange Auth (OAuth) certificate stays the self-signed one
// Exchange made, uploaded to the hybrid app (DOMAIN-CURRENT.md §2.5); never the public certificate.
// Get-AuthConfig exists from Exchange 2013 on (2007 and 2010 have no Auth certificate).
var notAuthCertificate = []string{
	`if ((Get-Command Get-AuthConfig -ErrorAction SilentlyContinue) -and (Get-AuthConfig).CurrentCertificateThumbprint -eq $cert.Thumbprint) {`,
	`    throw "$($cert.Thumbprint) is the Exchange Auth certificate (Get-AuthConfig): the public certificate must never be it (R-EX-11); set the Auth certificate back to Exchange's own before binding this one"`,
	`}`,
}

// hybridConnectors (R-EX-05, S-EX-TLSBLOG): the Hybrid Configuration Wizard binds the Office 365
// send connector and the server's Default Frontend receive connector to the certificate by issuer
// and subject (TlsCertificateName <I>issuer<S>subject). A renewal may change both (Let's Encrypt
// picks an intermediate at random, S-LE-GENY), so after every renewal they are set again to the
// imported certificate, and checked.
var hybridConnectors = []string{
	`# Hybrid mail flow (R-EX-05): the connectors name the certificate by issuer and subject.`,
	`$tlsName = "<I>$($cert.Issuer)<S>$($cert.Subject)"`,
	`$send = @(Get-SendConnector | Where-Object { $_.Name -like 'Outbound to Office 365*' })`,
	`$receive = @(Get-ReceiveConnector -Server $env:COMPUTERNAME | Where-Object { $_.Name -like 'Default Frontend*' })`,
	`if ($send.Count -eq 0) { Write-Warning 'No send connector "Outbound to Office 365*": run the Hybrid Configuration Wizard first' }`,
	`foreach ($c in $send) {`,
	`    if ("$($c.TlsCertificateName)" -ne $tlsName) { Set-SendConnector -Identity $c.Identity -TlsCertificateName $tlsName }`,
	`}`,
	`foreach ($c in $receive) {`,
	`    if ("$($c.TlsCertificateName)" -ne $tlsName) { Set-ReceiveConnector -Identity $c.Identity -TlsCertificateName $tlsName }`,
	`}`,
	`$stale = @(@(Get-SendConnector | Where-Object { $_.Name -like 'Outbound to Office 365*' }) + @(Get-ReceiveConnector -Server $env:COMPUTERNAME | Where-Object { $_.Name -like 'Default Frontend*' }) |`,
	`    Where-Object { "$($_.TlsCertificateName)" -ne $tlsName })`,
	`if ($stale.Count -gt 0) {`,
	`    throw "These connectors do not use $tlsName, hybrid mail flow would stop: $(($stale | ForEach-Object { $_.Identity }) -join ', ')"`,
	`}`,
	`Write-Host "The hybrid connectors use $tlsName"`,
}

// exchangeOnlineRoot (R-EX-10, S-EXO-G2): Exchange Online chains to DigiCert Global Root G2 since
// 2026-03-15; a hybrid server whose machine root store lacks it fails mail flow with it.
var exchangeOnlineRoot = []string{
	`# Exchange Online chains to DigiCert Global Root G2 (R-EX-10).`,
	`$g2 = @(Get-ChildItem Cert:\LocalMachine\Root | Where-Object { $_.Subject -eq 'CN=DigiCert Global Root G2, OU=www.digicert.com, O=DigiCert Inc, C=US' })`,
	`if ($g2.Count -eq 0) {`,
	`    Write-Warning 'DigiCert Global Root G2 is not in Cert:\LocalMachine\Root: mail flow with Exchange Online fails. Download https://cacerts.digicert.com/DigiCertGlobalRootG2.crt and run Import-Certificate -FilePath DigiCertGlobalRootG2.crt -CertStoreLocation Cert:\LocalMachine\Root (or let Windows Update install the root)'`,
	`} else {`,
	`    Write-Host 'DigiCert Global Root G2 is trusted'`,
	`}`,
}

// sfbEdgeRestart is what Set-CsCertificate leaves to do on an Edge (DOMAIN-CURRENT.md §4.2).
const sfbEdgeRestart = "Restart the Edge services so that they use it: Stop-CsWindowsService, then Start-CsWindowsService. In an Edge pool every member holds this same certificate and key (R-SFB-04): run this script on each"

// sfbBind assigns the certificate to the target's Set-CsCertificate -Type values that do not use
// it yet (R-SFB-03); OAuthTokenIssuer is global, assigned once (S-SFB-OAUTH). The types that
// tokens depend on, AudioVideoAuthentication and OAuthTokenIssuer, are rolled rather than replaced
// (sfbRoll). On an Edge it says to restart the services.
func sfbBind(t Target, _ []string) []string {
	quoted := make([]string, len(t.Services))
	for i, s := range t.Services {
		quoted[i] = pwsh.Quote(s)
	}
	identity := ""
	if slices.Contains(t.Services, "OAuthTokenIssuer") {
		identity = " -Identity global"
	}
	out := []string{
		`$types = @(` + strings.Join(quoted, ", ") + `)`,
		`$bound = @(Get-CsCertificate | Where-Object { $_.Thumbprint -eq $cert.Thumbprint } | ForEach-Object { "$($_.Use)" })`,
		`$missing = @($types | Where-Object { $bound -notcontains $_ })`,
		`if ($missing.Count -eq 0) {`,
		`    Write-Host "Skype for Business already uses $($cert.Thumbprint) for $($types -join ',')"`,
		`} else {`,
	}
	if rolled := rolledTypes(t.Services); len(rolled) > 0 {
		out = append(out, indent(sfbRoll(identity, rolled))...)
	} else {
		out = append(out,
			`    Set-CsCertificate`+identity+` -Type $missing -Thumbprint $cert.Thumbprint -Confirm:$false`,
			`    Write-Host "Assigned $($cert.Thumbprint) to $($missing -join ',')"`)
	}
	out = append(out, `}`)
	if rolled := rolledTypes(t.Services); len(rolled) > 0 {
		out = append(out, removePrevious(rolled)...)
	}
	if slices.ContainsFunc(t.Services, func(s string) bool { return slices.Contains(edgeTypes, s) }) {
		out = append(out, `Write-Host `+pwsh.Quote(sfbEdgeRestart))
	}
	return out
}

// rollLeadHours are the lead times of the types that are rolled with Set-CsCertificate -Roll
// -EffectiveDate (S-SFB-ROLL, R-SFB-06): the A/V authentication token lives 8 hours, the OAuth
// token 24; staged together, the larger lead applies.
var rollLeadHours = map[string]int{"AudioVideoAuthentication": 8, "OAuthTokenIssuer": 24}

// rolledTypes are the types among services that are rolled, sorted.
func rolledTypes(services []string) []string {
	var out []string
	for _, s := range services {
		if _, ok := rollLeadHours[s]; ok {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// sfbRoll assigns the missing types: the rolled ones staged with -Roll -EffectiveDate the lead
// time ahead, so that the previous certificate keeps validating tokens until then, the others at
// once (Access and Web Conferencing Edge users sign in again either way, S-SFB-ROLL).
func sfbRoll(identity string, rolled []string) []string {
	quoted := make([]string, len(rolled))
	lead := 0
	for i, r := range rolled {
		quoted[i] = pwsh.Quote(r)
		lead = max(lead, rollLeadHours[r])
	}
	return []string{
		`# A type with no certificate yet is assigned at once: there is nothing to roll from.`,
		`$rolled = @($missing | Where-Object { @(` + strings.Join(quoted, ", ") + `) -contains $_ -and @(Get-CsCertificate -Type $_ -ErrorAction SilentlyContinue).Count -gt 0 })`,
		`$direct = @($missing | Where-Object { $rolled -notcontains $_ })`,
		`if ($direct.Count -gt 0) {`,
		`    Set-CsCertificate` + identity + ` -Type $direct -Thumbprint $cert.Thumbprint -Confirm:$false`,
		`    Write-Host "Assigned $($cert.Thumbprint) to $($direct -join ',')"`,
		`}`,
		`if ($rolled.Count -gt 0) {`,
		fmt.Sprintf(`    # R-SFB-06: staged %d hours ahead; every server that validates these tokens (each Edge of a pool) needs it before then.`, lead),
		fmt.Sprintf(`    $effective = (Get-Date).AddHours(%d)`, lead),
		`    Set-CsCertificate` + identity + ` -Type $rolled -Thumbprint $cert.Thumbprint -Roll -EffectiveDate $effective -Confirm:$false`,
		`    Write-Host "Staged $($cert.Thumbprint) for $($rolled -join ',') from $effective; run this script again after that time to remove the previous certificate"`,
		`}`,
	}
}

// removePrevious removes the previous certificate of each rolled type once the staged one is in
// effect (Remove-CsCertificate -Previous, S-SFB-ROLL): a run before the effective date leaves it.
// [UNCERTAIN] that Get-CsCertificate reports the staged certificate's EffectiveDate.
func removePrevious(rolled []string) []string {
	quoted := make([]string, len(rolled))
	for i, r := range rolled {
		quoted[i] = pwsh.Quote(r)
	}
	return []string{
		`foreach ($type in @(` + strings.Join(quoted, ", ") + `)) {`,
		`    $mine = @(Get-CsCertificate -Type $type | Where-Object { $_.Thumbprint -eq $cert.Thumbprint })`,
		`    $previous = Get-CsCertificate -Type $type -Previous -ErrorAction SilentlyContinue`,
		`    if ($mine.Count -eq 0 -or -not $previous -or $previous.Thumbprint -eq $cert.Thumbprint) { continue }`,
		`    if ($mine[0].EffectiveDate -and $mine[0].EffectiveDate -gt (Get-Date)) {`,
		`        Write-Host "$type is staged until $($mine[0].EffectiveDate); the previous certificate stays until then"`,
		`    } else {`,
		`        Remove-CsCertificate -Type $type -Previous -Confirm:$false`,
		`        Write-Host "Removed the previous $type certificate $($previous.Thumbprint)"`,
		`    }`,
		`}`,
	}
}

// indent indents PowerShell lines by one level.
func indent(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = "    " + l
	}
	return out
}

// officeOnlineBind points the farm at the certificate by the friendly name nameCertificate gave
// it, unique per deployment, role and revision (duplicates break the farm, R-K8S-06) (S-OOS-DEPLOY; Set-OfficeWebAppsFarm -CertificateName for a
// renewal is [UNCERTAIN], DOMAIN-CURRENT.md §5). The farm binds it: never bind it in IIS by hand.
func officeOnlineBind(Target, []string) []string {
	return []string{
		`if ((Get-OfficeWebAppsFarm).CertificateName -eq $friendlyName) {`,
		`    Write-Host "The Office Online Server farm already uses $friendlyName"`,
		`} else {`,
		`    Set-OfficeWebAppsFarm -CertificateName $friendlyName`,
		`    Write-Host "The Office Online Server farm now uses $friendlyName"`,
		`}`,
	}
}

// manualAssignment prints the assignment steps of a product that has no binding cmdlet. The
// script can do no more, and says so.
func manualAssignment(heading string) func(Target, []string) []string {
	return func(_ Target, manual []string) []string {
		out := []string{`Write-Host ` + pwsh.Quote(heading)}
		for i, m := range manual {
			out = append(out, `Write-Host `+pwsh.Quote(fmt.Sprintf("  %d. %s", i+1, m)))
		}
		return out
	}
}

// Script returns the PowerShell script that imports and binds c on each of its targets. It holds
// no secret: -PfxPath defaults to the PFX `ucdeploy export` writes next to it, and -Password is
// prompted for when absent.
func Script(c Certificate) string {
	w := &scriptWriter{}
	line, comment := w.line, w.comment

	comment("%s: import and bind Certificate %s (role %s, CN %s). Generated by ucdeploy; do not edit.", c.Script, c.Name, c.Role, c.CommonName)
	comment("Run it elevated on each server below after every issuance: cert-manager renews with a new key, so")
	comment("the thumbprint changes and the certificate must be imported and bound again (R-K8S-03).")
	comment("It is idempotent: a second run finds the certificate imported and bound and changes nothing.")
	for _, t := range c.Targets {
		servers := strings.Join(t.Servers, ", ")
		if servers == "" {
			servers = "(none listed)"
		}
		comment("  -Target %s (%s): %s", t.Name, t.Product, servers)
		if t.Note != "" {
			comment("      %s", t.Note)
		}
	}
	comment("The PFX comes from `ucdeploy export`; its password is never stored in this script.")
	line(0, "[CmdletBinding()]")
	line(0, "param(")
	line(1, "# The PFX file; by default the one `ucdeploy export` writes next to this script.")
	line(1, "[string]$PfxPath = (Join-Path (Split-Path -Parent $MyInvocation.MyCommand.Path) "+pwsh.Quote(c.PFX)+"),")
	line(1, "# The PFX password; prompted for when absent.")
	line(1, "[System.Security.SecureString]$Password,")
	names := make([]string, len(c.Targets))
	for i, t := range c.Targets {
		names[i] = pwsh.Quote(t.Name)
	}
	w.revisionParam(c)
	line(1, "# Where this server uses the certificate (install.json lists the servers of each).")
	switch len(c.Targets) {
	case 0:
		line(1, "[string]$Target = ''")
	case 1:
		line(1, "[ValidateSet("+names[0]+")]")
		line(1, "[string]$Target = "+names[0])
	default:
		line(1, "[Parameter(Mandatory = $true)]")
		line(1, "[ValidateSet("+strings.Join(names, ", ")+")]")
		line(1, "[string]$Target")
	}
	line(0, ")")
	line(0, "")
	line(0, "$ErrorActionPreference = 'Stop'")
	line(0, "if (-not $Password) {")
	line(1, "$Password = Read-Host -AsSecureString -Prompt \"Password of $PfxPath\"")
	line(0, "}")
	line(0, "$PfxPath = (Resolve-Path -LiteralPath $PfxPath).ProviderPath")
	line(0, "# The leaf of the PFX is the certificate with the private key; its thumbprint tells whether an")
	line(0, "# earlier run already imported it.")
	line(0, "$leaf = New-Object System.Security.Cryptography.X509Certificates.X509Certificate2 -ArgumentList $PfxPath, $Password")
	line(0, "$thumbprint = $leaf.Thumbprint")
	line(0, "# R-K8S-06: cert-manager's PKCS#12 alias is '1'; the friendly name says which deployment, role and")
	line(0, "# revision the certificate is (Skype for Business and Office Online Server select certificates by it).")
	line(0, "$friendlyName = "+pwsh.Quote(c.FriendlyNamePrefix+"-r")+" + $Revision")
	line(0, "Write-Host \"$PfxPath holds "+c.Name+" revision $Revision with thumbprint $thumbprint\"")
	line(0, "")
	w.targets(c)
	return w.b.String()
}

// scriptWriter writes a PowerShell script line by line.
type scriptWriter struct{ b strings.Builder }

// line writes s indented by indent levels of four spaces; an empty s is an empty line.
func (w *scriptWriter) line(indent int, s string) {
	if s == "" {
		w.b.WriteString("\n")
		return
	}
	w.b.WriteString(strings.Repeat("    ", indent) + s + "\n")
}

// comment writes a comment line.
func (w *scriptWriter) comment(format string, a ...any) {
	w.line(0, "# "+oneLine(fmt.Sprintf(format, a...)))
}

// targets writes the switch over c's places that imports and binds it, or a throw when ucdeploy
// knows no place for it.
func (w *scriptWriter) targets(c Certificate) {
	if len(c.Targets) == 0 {
		w.line(0, "throw "+pwsh.Quote("ucdeploy knows no place to install the "+c.Role+" certificate"))
		return
	}
	w.line(0, "switch ($Target) {")
	for _, t := range c.Targets {
		st := products[t.Product]
		w.line(1, pwsh.Quote(t.Name)+" {")
		for _, s := range st.requires {
			w.line(2, s)
		}
		for _, s := range st.importer {
			w.line(2, s)
		}
		w.line(2, "# The thumbprint of the imported certificate is the one to bind.")
		w.line(2, "Write-Host \"Imported: $($cert.Thumbprint) ($($cert.Subject))\"")
		for _, s := range nameCertificate {
			w.line(2, s)
		}
		for _, s := range st.bind(t, manualFor(c.Role, t.Name)) {
			w.line(2, s)
		}
		w.line(1, "}")
	}
	w.line(0, "}")
}

// revisionParam writes the -Revision parameter (R-K8S-06). The revision is known where the PFX
// is: the script `ucdeploy export` writes next to it defaults to the revision it exported; the
// install ConfigMap's script serves every revision and asks for it (the Renewed event and
// `ucdeploy status` say it). The PFX itself does not hold it, and cert-manager annotates the
// Secret with no revision (only its CertificateRequests), so the script cannot read it.
func (w *scriptWriter) revisionParam(c Certificate) {
	w.line(1, "# cert-manager's revision of the certificate in the PFX (status.revision of Certificate "+c.Name+"):")
	w.line(1, "# the imported certificate is named "+c.FriendlyNamePrefix+"-r<Revision> (R-K8S-06).")
	if c.Revision == nil {
		w.line(1, "[Parameter(Mandatory = $true)]")
		w.line(1, "[ValidateRange(1, 2147483647)]")
		w.line(1, "[int]$Revision,")
		return
	}
	w.line(1, "[ValidateRange(1, 2147483647)]")
	w.line(1, fmt.Sprintf("[int]$Revision = %d,", *c.Revision))
}

// nameCertificate gives the imported certificate its friendly name in the machine store, where
// every product of the table keeps it (Exchange's certificates too), so that one step serves every
// product (R-K8S-06). Setting FriendlyName on a Cert: provider item writes it to the store.
var nameCertificate = []string{
	`$stored = Get-Item -LiteralPath "Cert:\LocalMachine\My\$($cert.Thumbprint)"`,
	`if ($stored.FriendlyName -ne $friendlyName) {`,
	`    $stored.FriendlyName = $friendlyName`,
	`    Write-Host "Named $($cert.Thumbprint) $friendlyName"`,
	`}`,
}

// manualFor is the manual assignment step of the place named target among role's places.
func manualFor(role, target string) []string {
	for _, p := range targets[role] {
		if p.name == target {
			return p.assign
		}
	}
	return nil
}

// oneLine keeps a comment on one line.
func oneLine(s string) string {
	return strings.NewReplacer("\r", " ", "\n", " ").Replace(s)
}
