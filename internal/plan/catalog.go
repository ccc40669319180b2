package plan

// CatalogEntry documents one finding code: what the planner checks, where the rule comes from,
// and what to change in the UCDeployment. The catalog is the source of docs/troubleshooting.md
// (`make docs`); catalog_test.go fails when a Code* constant or a finding() call in checks.go
// and the catalog disagree, so the documentation cannot drift from the planner.
type CatalogEntry struct {
	// Code is the stable finding code, one of the Code* constants.
	Code string
	// Severities are the severities findings with this code are reported at, most severe first.
	// Most codes have one; a code whose rule has a hard and a soft case has two.
	Severities []Severity
	// Rules are the rule ids the findings cite in their Rule field: a DOMAIN.md validation rule
	// (V1 … V30), a DOMAIN.md rule id (R-…) or section (§4), or the RFC the rule comes from.
	Rules []string
	// Sources are the DOMAIN.md source ids (§0 of DOMAIN.md) behind the rules, or RFCs.
	Sources []string
	// Meaning says what the finding means for the deployment.
	Meaning string
	// Fix says what to change; the finding's path names the field.
	Fix string
}

// catalog lists every finding code in the order of the Code* constants.
var catalog = []CatalogEntry{
	{
		Code:       CodeInternalNameOnPublicCertificate,
		Severities: []Severity{SeverityError},
		Rules:      []string{"V1"},
		Sources:    []string{"S-CAB", "S-DIGI-INT", "S-QV"},
		Meaning: "A name planned for a public-CA certificate is single-label or ends in a top-level domain outside the public root " +
			"(.local, .corp, .lan, ...). Public CAs have not issued certificates for such internal names since 1 November 2015, " +
			"so the issuer would refuse the request.",
		Fix: "Give the Internet-facing service a name in a registered public domain and publish it through split DNS, " +
			"or keep the internal name off the Internet-facing roles so that it goes on an internal-CA certificate.",
	},
	{
		Code:       CodeWildcardNotSupported,
		Severities: []Severity{SeverityError},
		Rules:      []string{"V3", "V4"},
		Sources:    []string{"S-SCHERTZ-WILD", "S-TT-POOL", "S-WILD-2013", "S-SFB-EDGE"},
		Meaning: "A wildcard name would go on a certificate that OCS 2007 R2 uses (V3): OCS supports no wildcard names at " +
			"all, its services fail to start. Or, from Lync 2010 on (V4, DOMAIN.md §3.6), a wildcard would go on the " +
			"certificate carrying the Edge names: Lync and Skype for Business accept wildcard SANs only for the simple " +
			"URLs and lyncdiscover on the web services and reverse proxy certificates, and `*.<domain>` for XMPP on the " +
			"Skype for Business Server 2015 Edge.",
		Fix: "List the names explicitly, or use `certificates.strategy: PerRole` so that the wildcard (from " +
			"`exchange.additionalNames`) stays on the Exchange-only certificate, where Exchange accepts it.",
	},
	{
		Code:       CodeStrictDNSNameMismatch,
		Severities: []Severity{SeverityWarning},
		Rules:      []string{"V8"},
		Sources:    []string{"S-OCS-AUTOSIGNIN", "S-SFB-ADVDNS"},
		Meaning: "The `_sipinternaltls._tcp` record of a SIP domain points at a sign-in server outside that domain. With strict " +
			"DNS name matching the client (Communicator, Lync or Skype for Business) refuses the target and falls back to `sip.<domain>`, which ucdeploy publishes and " +
			"puts on the certificate. Microsoft's own example crosses domains, so this is a warning.",
		Fix: "Name the sign-in pool or Director inside each SIP domain, or accept the `sip.<domain>` fallback, or relax " +
			"strict DNS name matching on the clients by Group Policy.",
	},
	{
		Code:       CodeEdgePortConflict,
		Severities: []Severity{SeverityError},
		Rules:      []string{"V11", "V12"},
		Sources:    []string{"S-EE", "S-OCS-AVEXT", "S-OCS-EDGEDNS"},
		Meaning: "Two services share a public address and a TCP port, so only one of them can listen. Addresses are " +
			"compared by name as well as by IP: one FQDN is one address even before the IPs are planned. The cases: Access " +
			"Edge and Web Conferencing Edge both on 443, or Web Conferencing on 5061 where federation listens (V11); the A/V " +
			"Edge on 443 next to another Edge service (V12); Exchange, the reverse proxy or CWA on an Edge service's " +
			"address, two HTTPS listeners on 443. Exchange, the reverse proxy and CWA may share an address with each other: " +
			"one listener publishes them all.",
		Fix: "Set `ocs.edge.webConferencingPort: 444` when Web Conferencing shares the Access Edge name and address (the " +
			"seed article's single-certificate design), or give it its own name and address; give the A/V Edge its own " +
			"`avFQDN` and `avIP`; publish Exchange and the reverse proxy on an address no Edge service uses.",
	},
	{
		Code:       CodeEdgeAddressConflict,
		Severities: []Severity{SeverityError},
		Rules:      []string{"V17"},
		Sources:    []string{"S-EE", "S-OCS-EDGEDNS"},
		Meaning: "`webConferencingFQDN` equals `accessFQDN` but `webConferencingIP` differs from `accessIP`: one DNS name " +
			"cannot point at two services.",
		Fix: "Share the address (remove `webConferencingIP` or set it to `accessIP`, with Web Conferencing on port 444), " +
			"or give the Web Conferencing Edge a name of its own.",
	},
	{
		Code:       CodeAVAuthenticationPort,
		Severities: []Severity{SeverityError},
		Rules:      []string{"V13"},
		Sources:    []string{"S-EE", "S-SFB-EDGE"},
		Meaning: "The A/V authentication service is set to a port other than 5062. The pool reaches it on 5062 on the Edge's " +
			"internal interface; 443 is the common mistake the seed article warns about.",
		Fix: "Set `ocs.edge.avAuthenticationPort: 5062`, or remove the field (it defaults to 5062).",
	},
	{
		Code:       CodeWebConferencingInternalPort,
		Severities: []Severity{SeverityWarning},
		Rules:      []string{"V14"},
		Sources:    []string{"S-OCS-WCEINT"},
		Meaning: "The internal (PSOM) port of the Web Conferencing Edge is not the default 8057. It works only if the pool's " +
			"Web Conferencing Server is configured with the same port.",
		Fix: "Configure the same port on the pool's Web Conferencing Server, or set " +
			"`ocs.edge.webConferencingInternalPort: 8057`.",
	},
	{
		Code:       CodeSingleCertificateEdgeNames,
		Severities: []Severity{SeverityWarning},
		Rules:      []string{"V17"},
		Sources:    []string{"S-EE", "S-OCS-EDGECERT"},
		Meaning: "The unified certificate carries two different external Edge names (Access and Web Conferencing). OCS 2007 " +
			"R2 documents one certificate for each; only the seed design, where both share one name and address, is " +
			"known to work with a single certificate.",
		Fix: "Give Web Conferencing the Access Edge's FQDN and address with `webConferencingPort: 444`, or use " +
			"`certificates.strategy: PerRole`.",
	},
	{
		Code:       CodeCASArrayOnCertificate,
		Severities: []Severity{SeverityWarning},
		Rules:      []string{"V22"},
		Sources:    []string{"S-CASARRAY"},
		Meaning: "The Exchange 2010 CAS array FQDN is also an HTTP name on a certificate. The CAS array is an RPC endpoint " +
			"for internal Outlook clients: it needs a name of its own that never goes on a certificate or into external DNS.",
		Fix: "Give `exchange.casArrayFQDN` a dedicated name such as `outlook.<domain>` (internal DNS only) that differs " +
			"from `externalFQDN`, `legacyFQDN` and `additionalNames`.",
	},
	{
		Code:       CodeSANPublishingUnsupported,
		Severities: []Severity{SeverityWarning},
		Rules:      []string{"V24"},
		Sources:    []string{"S-ISA-SAN", "S-EE"},
		Meaning: "Exchange is published through ISA Server 2004, which cannot publish with a certificate carrying several " +
			"names, or ISA Server 2006 RTM, which reads only the first subject alternative name.",
		Fix: "Upgrade the publishing server to ISA Server 2006 SP1 or TMG and set `exchange.publishedVia` accordingly.",
	},
	{
		Code:       CodeTooManySANs,
		Severities: []Severity{SeverityWarning},
		Rules:      []string{"V26"},
		Sources:    []string{"S-DIGI-INT"},
		Meaning:    "A public certificate has more names than `certificates.maxSANs`, the limit of the public CA's product.",
		Fix: "Use `certificates.strategy: PerRole`, fewer domains, or a CA product that allows more names (then raise " +
			"`maxSANs`).",
	},
	{
		Code:       CodeWeakKey,
		Severities: []Severity{SeverityError, SeverityWarning},
		Rules:      []string{"V27"},
		Sources:    []string{"S-L13-PKI", "S-CABF-BR"},
		Meaning: "The certificates would have RSA keys shorter than 2048 bits. Public CAs refuse such keys (the " +
			"CA/Browser Forum Baseline Requirements ask for 2048 bits or more), so with a public certificate in the " +
			"plan it is an Error; for internal certificates only, a Warning: the products accept 1024 bits but " +
			"recommend 2048 or more.",
		Fix: "Set `certificates.privateKey.size` to 2048 or more (2048 is the default).",
	},
	{
		Code:       CodeIssuerNotConfigured,
		Severities: []Severity{SeverityError},
		Rules:      []string{"§4"},
		Sources:    []string{"S-OCS-CERTINFRA", "S-CAB"},
		Meaning: "The plan has certificates of a class (public or internal) but no cert-manager issuer for that class, so " +
			"nothing could sign them.",
		Fix: "Set `certificates.publicIssuerRef` to the issuer of the public CA, or `certificates.internalIssuerRef` to " +
			"the issuer of the enterprise CA (kind ClusterIssuer by default; an Issuer must live in the UCDeployment's " +
			"namespace).",
	},
	{
		Code:       CodeCommonNameTooLong,
		Severities: []Severity{SeverityError},
		Rules:      []string{"V6"},
		Sources:    []string{"RFC 5280"},
		Meaning: "A certificate's subject common name is longer than 64 characters, the X.509 upper bound; cert-manager " +
			"rejects such a Certificate.",
		Fix: "Shorten the FQDN that becomes the common name (the field in the finding's path).",
	},
	{
		Code:       CodeGeneratedNameInvalid,
		Severities: []Severity{SeverityError},
		Rules:      []string{"RFC 1035"},
		Sources:    []string{"RFC 1035"},
		Meaning: "A name ucdeploy builds from your input (`sip.<domain>`, `as.<cwa>`, `download.<cwa>`, SRV owners, or an " +
			"object name such as `<deployment>-<role>-tls`) is not a valid DNS name: longer than 253 characters or with a " +
			"label longer than 63.",
		Fix: "Shorten the field in the finding's path: the domain, the host name or the UCDeployment's name.",
	},
	{
		Code:       CodeDNSRecordConflict,
		Severities: []Severity{SeverityError, SeverityWarning},
		Rules:      []string{"RFC 1034"},
		Sources:    []string{"RFC 1034"},
		Meaning: "Error: a name in one DNS view would be a CNAME and also own other records, which DNS forbids. Warning: " +
			"a name resolves to several addresses because two roles share it with different IPs.",
		Fix: "Give the hosts distinct names, or give the roles that share a name the same address.",
	},
	{
		Code:       CodeAutodiscoverSRVClients,
		Severities: []Severity{SeverityInfo},
		Rules:      []string{"V23"},
		Sources:    []string{"S-KB940881", "S-EX07-AUTOD"},
		Meaning: "Autodiscover is published by SRV record. Outlook 2007 follows it from the June 2007 update (KB 940881) " +
			"or SP1, and Outlook 2010 does; older clients need `autodiscover.<domain>` on the certificate.",
		Fix: "Nothing, if every client is Outlook 2007 SP1 or later. Otherwise set `exchange.autodiscover: HostRecord`.",
	},
	{
		Code:       CodeFrontEndNamesNotOnPoolCertificate,
		Severities: []Severity{SeverityInfo},
		Rules:      []string{"R-OCS-FE-SAN"},
		Sources:    []string{"S-TT-POOL"},
		Meaning: "External web conferencing is enabled on an Enterprise pool and the front-end FQDNs are not on the pool " +
			"certificate. One unconfirmed third-party source says the Edge connects to the front ends by name.",
		Fix: "Set `ocs.frontEndNamesOnPoolCertificate: true` if external meetings fail.",
	},
	{
		Code:       CodeCertificateSubjectConflict,
		Severities: []Severity{SeverityError},
		Rules:      []string{"V6"},
		Sources:    []string{"S-LYNC10-EDGECERT", "S-EX07-MULTI"},
		Meaning: "Two roles would get certificates with the same subject name. One name answers at one address, where " +
			"only one certificate can be bound; the plan keeps the first and leaves the other out.",
		Fix: "Give the role in the finding's path a name of its own, or, for names published by one listener, use " +
			"`certificates.strategy: Unified`.",
	},
	{
		Code:       CodeOutlookAnywherePrincipalName,
		Severities: []Severity{SeverityWarning, SeverityInfo},
		Rules:      []string{"S-EX07-AUTOD"},
		Sources:    []string{"S-EX07-AUTOD", "S-EE"},
		Meaning: "The Exchange names sit on a certificate whose subject is not `exchange.externalFQDN` (the seed design: " +
			"subject `sip.<domain>`). Outlook compares the Outlook Anywhere principal name, `msstd:<externalFQDN>` by " +
			"default, with the certificate subject and keeps prompting for credentials when they differ. From Exchange " +
			"2016 on Outlook connects with MAPI over HTTP by default and Outlook Anywhere is only the fallback, so the " +
			"finding is Info there.",
		Fix: "Run `Set-OutlookProvider -Identity EXPR -CertPrincipalName msstd:<subject>` in the Exchange Management Shell " +
			"(`ucdeploy plan -o powershell` prints it with the subject filled in), or use `certificates.strategy: PerRole` " +
			"so that Exchange gets a certificate of its own.",
	},
	{
		Code:       CodeKeyAlgorithmUnsupported,
		Severities: []Severity{SeverityError, SeverityWarning},
		Rules:      []string{"V27", "R-SFB-05", "§2"},
		Sources:    []string{"S-L13-PKI", "S-SFB19-SYSREQ", "S-SFB-OAUTH", "S-EX-CERTS"},
		Meaning: "The certificates would have ECDSA keys, which the product cannot use. Error: OCS 2007 R2, Lync 2010 " +
			"and 2013, and Exchange 2007 to 2013 use RSA only; the Skype for Business OAuthTokenIssuer certificate " +
			"needs RSA 2048 or more. Warning: Exchange 2016 CU23, 2019 CU13 and SE use ECDSA certificates only after " +
			"the April 2024 setting override enables ECC support, and never as the Exchange Auth certificate.",
		Fix: "Set `certificates.privateKey.algorithm: RSA` (2048 bits or more), or for Exchange 2016 and later " +
			"enable ECC support with the setting override on every Exchange server.",
	},
	{
		Code:       CodeAccessEdgeNameNotSIP,
		Severities: []Severity{SeverityWarning},
		Rules:      []string{"S-OCS-EDGEDNS-R2"},
		Sources:    []string{"S-OCS-EDGEDNS-R2", "S-OCS-EDGECERT"},
		Meaning: "The Access Edge FQDN is not `sip.<domain>` for any SIP domain. OCS 2007 R2 requires the subject name of " +
			"the Access Edge certificate to point to `sip.<domain>`, the domain of the SRV records.",
		Fix: "Set `ocs.edge.accessFQDN` to `sip.<primary SIP domain>`.",
	},
	{
		Code:       CodeEdgeNamesDifferOnSharedAddress,
		Severities: []Severity{SeverityWarning},
		Rules:      []string{"V17"},
		Sources:    []string{"S-EE"},
		Meaning: "The Access Edge and the Web Conferencing Edge share one public address under different names. The seed " +
			"design that puts both on one address gives them one name too, with Web Conferencing on port 444.",
		Fix: "Set `ocs.edge.webConferencingFQDN` to the `accessFQDN` (and `webConferencingPort: 444`), or give Web " +
			"Conferencing an address of its own.",
	},
	{
		Code:       CodeRecordTargetWithoutAddress,
		Severities: []Severity{SeverityWarning},
		Rules:      []string{"V9"},
		Sources:    []string{"S-SFB-ADVDNS", "RFC 2782"},
		Meaning: "An SRV, MX or CNAME record of the plan points at a host that has no address record in the same view, " +
			"because the address field that would give it is empty. Clients following the record find nothing until the " +
			"address is published.",
		Fix: "Set the address field in the finding's path, or publish the host's address record yourself.",
	},
	{
		Code:       CodeLegacyNamespaceExternalOnly,
		Severities: []Severity{SeverityInfo},
		Rules:      []string{"S-EX10-TRANS"},
		Sources:    []string{"S-EX10-TRANS", "S-EX-LEGACY-3P"},
		Meaning: "The legacy namespace is published in the external view only. The internal view must not send clients " +
			"to the public `legacyIP`, and no internal address was given.",
		Fix: "Set `exchange.legacyInternalIP` to the legacy front end's internal address to publish the name inside too.",
	},
	{
		Code:       CodeNameUnreachableInside,
		Severities: []Severity{SeverityWarning},
		Rules:      []string{"§4"},
		Sources:    []string{"S-CWA", "S-SFB-ADVDNS"},
		Meaning: "A name users browse to (the CWA site, `as.` and `download.` below it, or the Exchange namespace) is " +
			"published only in the external view, inside a zone the internal view also holds. The internal zone answers " +
			"for the whole domain, so internal users cannot resolve the name.",
		Fix: "Set the internal address field in the finding's path (`ocs.communicatorWebAccess.internalIP`, " +
			"`exchange.internalIP`) so that the name is published in both views.",
	},
	{
		Code:       CodeRecordOutsideZones,
		Severities: []Severity{SeverityWarning},
		Rules:      []string{"S-SFB-ADVDNS"},
		Sources:    []string{"S-SFB-ADVDNS"},
		Meaning: "`dns.zones` lists the zones your DNS servers host, and some records fall under none of them. They are " +
			"planned in their domains, which the servers may not host; in the internal view a name under none of them " +
			"is a pin-point zone of its own, so that no internal zone hides a whole domain's public names.",
		Fix: "Add the zones (or pin-point zones for single names) to `dns.zones`, or rename the hosts into a hosted zone.",
	},
	{
		Code:       CodeCAAAccountMismatch,
		Severities: []Severity{SeverityWarning},
		Rules:      []string{"R-PKI-11"},
		Sources:    []string{"S-CABF-SC098", "S-LE-CAA"},
		Meaning: "`dns.caa.accountURI` names another ACME account than the one the public issuer registered " +
			"(its `status.acme.uri`). From 2027-03-15 CAs honour `accounturi` (SC-098) and refuse to issue to any other account.",
		Fix: "Remove `dns.caa.accountURI`: the CAA records then carry the issuer's own account. Or set it to that account.",
	},
	{
		Code:       CodeACMEChallengeDelegation,
		Severities: []Severity{SeverityError, SeverityWarning},
		Rules:      []string{"R-PKI-13"},
		Sources:    []string{"S-CM"},
		Meaning: "`dns.acmeChallengeDelegation` makes the external view point `_acme-challenge.<name>` at " +
			"`<name>.<zone>` for every public name. Error: a target would be longer than a domain name may be. " +
			"Warning: no certificate is public, so there is nothing to delegate; or the public ACME issuer has no DNS-01 " +
			"solver with `cnameStrategy: Follow`, so cert-manager writes the challenges into the names' own zones.",
		Fix: "Choose a shorter delegation zone; give the issuer's DNS-01 solver `cnameStrategy: Follow` and the delegation " +
			"zone's credentials; or remove `dns.acmeChallengeDelegation` when no certificate is public.",
	},
	{
		Code:       CodeSingleIPEdge,
		Severities: []Severity{SeverityWarning},
		Rules:      []string{"V30"},
		Sources:    []string{"S-SFB-EDGE"},
		Meaning: "From Lync Server 2010 on, the Access, Web Conferencing and A/V Edge share one public address and listen " +
			"on different ports (Access 5061, Web Conferencing 444, A/V 443). Supported, but Microsoft does not recommend " +
			"it: firewalls on users' and partners' networks may block the ports other than 443.",
		Fix: "Give each Edge service its own public address (`accessIP`, `webConferencingIP`, `avIP`) on port 443, " +
			"or keep the single-IP Edge knowing that some networks cannot reach it.",
	},
	{
		Code:       CodePinPointZones,
		Severities: []Severity{SeverityInfo},
		Rules:      []string{"S-SFB-ADVDNS"},
		Sources:    []string{"S-SFB-ADVDNS"},
		Meaning: "Without `dns.zones`, some internal names fall under none of the default zones (the SIP and SMTP domains, " +
			"the servers' domains), for example a simple URL in a domain of its own. The internal view holds each as a " +
			"pin-point zone of its own name, so that an internal zone for the whole domain does not hide the domain's " +
			"public names from internal users.",
		Fix: "Create the pin-point zones on the internal DNS servers (the zone files and the PowerShell script name them), " +
			"or list the zones the servers host in `dns.zones`.",
	},
	{
		Code:       CodeExchangeServerNames,
		Severities: []Severity{SeverityWarning},
		Rules:      []string{"R-EX-01"},
		Sources:    []string{"S-EX-CERTS", "S-EX-AUTOD"},
		Meaning: "From Exchange 2013 on one HTTP namespace serves every client, and Microsoft does not recommend server " +
			"host names or NetBIOS names on a certificate. `exchange.includeServerNames` asks for an internal certificate " +
			"that carries them.",
		Fix: "Point the internal URLs at the external namespace through split DNS and remove " +
			"`exchange.includeServerNames`.",
	},
	{
		Code:       CodeHybridCertificateNames,
		Severities: []Severity{SeverityError},
		Rules:      []string{"R-EX-06"},
		Sources:    []string{"S-EX-HYBPRE", "S-EX-HYBCERT"},
		Meaning: "In a hybrid deployment the public certificate must carry the EWS external host and the Autodiscover " +
			"host. With `exchange.autodiscover: SRV`, `autodiscover.<domain>` is not on the certificate.",
		Fix: "Set `exchange.autodiscover: HostRecord`, so that every SMTP domain's Autodiscover host is on the " +
			"certificate.",
	},
	{
		Code:       CodePublicCertificateValidity,
		Severities: []Severity{SeverityError},
		Rules:      []string{"R-PKI-01"},
		Sources:    []string{"S-CABF-BR", "S-CM"},
		Meaning: "The public certificates would be valid for longer than the CA/Browser Forum allows on the day they are " +
			"issued: 398 days before 15 March 2026, 200 days from then, 100 days from 15 March 2027 and 47 days from 15 " +
			"March 2029 (ballot SC-081). A public CA shortens or refuses the request. The controller judges the plan on " +
			"today's date; `ucdeploy plan --at` on another.",
		Fix: "Remove `certificates.duration`: unset, ucdeploy asks for 90 days, cut to the limit of the issue day " +
			"for public certificates (47 days from 15 March 2029). Or set it to the limit or less, and keep " +
			"`certificates.renewBefore` shorter than it.",
	},
	{
		Code:       CodeACMENameLimit,
		Severities: []Severity{SeverityError},
		Rules:      []string{"R-PKI-02"},
		Sources:    []string{"S-LE-PROF"},
		Meaning: "The public issuer is an ACME CA and a public certificate has more names than its profile allows: 100 " +
			"for Let's Encrypt's classic profile, 25 for tlsserver and shortlived. The order would be refused.",
		Fix: "Use `certificates.strategy: PerRole`, fewer SIP or SMTP domains, or the classic profile.",
	},
	{
		Code:       CodeACMEProfileWithoutCommonName,
		Severities: []Severity{SeverityWarning},
		Rules:      []string{"R-PKI-06"},
		Sources:    []string{"S-LE-PROF"},
		Meaning: "The public issuer's ACME profile (tlsserver or shortlived) issues certificates with an empty subject. " +
			"OCS, Lync and Skype for Business name their certificates by subject, and Exchange binds hybrid connectors by " +
			"issuer and subject; whether they work without one is not confirmed.",
		Fix: "Use the classic profile (`spec.acme.profile` of the cert-manager issuer), or a CA whose certificates keep " +
			"the common name.",
	},
	{
		Code:       CodeClientAuthUnavailable,
		Severities: []Severity{SeverityError, SeverityWarning},
		Rules:      []string{"R-PKI-07", "R-PKI-10"},
		Sources:    []string{"S-LE-NOCLIENT", "S-OCS-EDGECERT", "S-GTS-CLIENTAUTH", "S-DIGICERT-ALERT53"},
		Meaning: "Public CAs are dropping the Client Authentication usage (DOMAIN-CURRENT.md §3.5). The public CA is " +
			"told by `dns.caa.issuer` (or an ACME issuer). A certificate that asks for it (the Access Edge with public " +
			"IM connectivity, V28) is an Error with Google Trust Services, which rejects such a request, and a Warning " +
			"with Let's Encrypt (issued without it since 2026-02-11), DigiCert (opt-in until 2027-03-01), Sectigo (until " +
			"2027-02-10) or another ACME CA. Exchange hybrid SMTP, where the on-premises server is the TLS client, gets " +
			"a Warning too: whether Exchange Online needs the usage is not documented. With Let's Encrypt and Google " +
			"Trust Services the planned Certificate's usages leave `client auth` out.",
		Fix: "Use a CA product that still issues Client Authentication for the Access Edge, or turn off " +
			"`ocs.edge.publicIMConnectivity` (no partner is left, PublicIMConnectivityEnded).",
	},
	{
		Code:       CodeXMPPNotSupported,
		Severities: []Severity{SeverityError},
		Rules:      []string{"R-SFB-01", "§3"},
		Sources:    []string{"S-SFB19-DEPR", "S-SFB-EDGE", "S-L13-XMPP"},
		Meaning: "`ocs.edge.xmppFQDN` is set on a release without XMPP federation on the Edge. Skype for Business Server " +
			"2019 and SE removed XMPP (R-SFB-01); Lync Server 2010 has none on the Edge: Lync Server 2013 brought the " +
			"XMPP proxy to the Edge and the gateway to the front end (DOMAIN.md §3.2). No XMPP record, SAN or " +
			"`XMPPServer` type is planned.",
		Fix: "Remove `ocs.edge.xmppFQDN`, keep XMPP on a coexisting Lync Server 2013 or Skype for Business Server 2015 " +
			"pool, or set `ocs.version` to `Lync2013` or `SfB2015` if that is the release.",
	},
	{
		Code:       CodeSimpleURLInvalid,
		Severities: []Severity{SeverityError, SeverityWarning},
		Rules:      []string{"R-SFB-09"},
		Sources:    []string{"S-SFB-SURL"},
		Meaning: "A simple URL host (Meet, Dialin or Admin) is the FQDN of the pool, a front end, the internal web " +
			"services or the Director: a simple URL must not contain a pool FQDN (Error). Or it is a SIP domain itself: " +
			"simple URLs use their own domain, which must not match any SIP domain; Microsoft's wording leaves open " +
			"whether a name below the SIP domain counts, so this is a Warning.",
		Fix: "Give the simple URLs names of their own in `ocs.simpleURLs` (`meet.<domain>`, `dialin.<domain>`, " +
			"`admin.<domain>`, the defaults), then run `Enable-CsComputer` on every front end and Director.",
	},
	{
		Code:       CodeWebFQDNEqualsPoolFQDN,
		Severities: []Severity{SeverityError},
		Rules:      []string{"V19"},
		Sources:    []string{"S-SFB-DNS"},
		Meaning: "A Lync/Skype for Business Enterprise pool is DNS-load-balanced (its FQDN resolves to every front end), " +
			"but its internal web services FQDN is the pool FQDN. HTTPS cannot be DNS-load-balanced: the web services " +
			"need a name of their own on the hardware load balancer's VIP.",
		Fix: "Set `ocs.internalWebFQDN` to a name of its own (for example `webint.<domain>`) and `ocs.poolIP` to the " +
			"web services VIP.",
	},
	{
		Code:       CodeDirectorWebFQDNConflict,
		Severities: []Severity{SeverityError},
		Rules:      []string{"V20"},
		Sources:    []string{"S-SFB-ENV"},
		Meaning: "The Director's external web FQDN equals the pool's. The reverse proxy publishes each on a listener " +
			"of its own, so they need different names.",
		Fix: "Give `ocs.director.externalWebFQDN` a name of its own, for example `webdir.<domain>`.",
	},
	{
		Code:       CodeOAuthKeySize,
		Severities: []Severity{SeverityError},
		Rules:      []string{"R-SFB-05"},
		Sources:    []string{"S-SFB-OAUTH"},
		Meaning: "The server-to-server authentication (OAuthTokenIssuer) certificate of Lync 2013 and later would have " +
			"an RSA key shorter than 2048 bits, which Skype for Business refuses.",
		Fix: "Set `certificates.privateKey.size` to 2048 or more (2048 is the default).",
	},
	{
		Code:       CodeHybridWithoutFederation,
		Severities: []Severity{SeverityError},
		Rules:      []string{"R-SFB-11"},
		Sources:    []string{"S-SFB-HYB"},
		Meaning: "`ocs.hybrid.mode` is Hybrid, but the deployment has no Edge, or its Edge does not federate. While users " +
			"are homed on premises, Microsoft 365 reaches them through the on-premises Access Edge: every SIP domain's " +
			"`_sipfederationtls._tcp` record must point at it (DOMAIN-CURRENT.md §1.6).",
		Fix: "Add `ocs.edge` and leave `ocs.edge.federation` on (the default), or set `ocs.hybrid.mode: OnPremises`.",
	},
	{
		Code:       CodeHybridRelease,
		Severities: []Severity{SeverityWarning},
		Rules:      []string{"R-SFB-11"},
		Sources:    []string{"S-SFB-HYB"},
		Meaning: "A Lync Server 2010 or 2013 deployment is in hybrid mode. IM, presence and meetings work through its " +
			"Edge, but hybrid voice needs a Skype for Business Server 2015 or later federation Edge and the pool behind " +
			"it. Whether a Lync Server 2010 Edge may be the hybrid federation Edge is not documented in the domain " +
			"reference, so this is a warning.",
		Fix: "Plan a Skype for Business Server 2015 or later Edge (and Director or pool) as the federation route, or keep " +
			"voice users on premises.",
	},
	{
		Code:       CodeWebFQDNInternalEqualsExternal,
		Severities: []Severity{SeverityError},
		Rules:      []string{"§3"},
		Sources:    []string{"S-SFB-ENV"},
		Meaning: "The external web services FQDN of the pool (or the Director) equals its internal web services FQDN. " +
			"Topology Builder refuses it: the internal and external web services are two sites, and the one name would " +
			"be on the internal and the public certificate and answer differently inside and outside.",
		Fix: "Give the external web services a name of their own in `ocs.externalWebFQDN` or " +
			"`ocs.director.externalWebFQDN`, for example `webext.<domain>`.",
	},
	{
		Code:       CodeEdgeWithoutReverseProxy,
		Severities: []Severity{SeverityWarning},
		Rules:      []string{"§3"},
		Sources:    []string{"S-L10-RPCERT", "S-SFB-ENV"},
		Meaning: "A Lync or Skype for Business Edge lets users in from outside, but no reverse proxy publishes the " +
			"external web services, the Meet and Dialin simple URLs and lyncdiscover. Those names get no public " +
			"address: external users cannot join meetings, use dial-in or sign in on mobile devices.",
		Fix: "Set `ocs.reverseProxy` with its public `ip`, and `ocs.externalWebFQDN`.",
	},
	{
		Code:       CodeNameWithoutAddress,
		Severities: []Severity{SeverityWarning},
		Rules:      []string{"S-OCS-DNS"},
		Sources:    []string{"S-OCS-DNS", "S-SFB-DNS"},
		Meaning: "A name the plan publishes has no address because the field that gives it is empty, so its record is " +
			"left out and the name does not resolve in that view: for example the internal web services, Meet, Dialin " +
			"and `lyncdiscoverinternal` names without `ocs.poolIP`. Names that other records point at are reported as " +
			"RecordTargetWithoutAddress instead.",
		Fix: "Set the address field the finding names, or publish the address record yourself.",
	},
	{
		Code:       CodePKCS12ProfileUnreadable,
		Severities: []Severity{SeverityError},
		Rules:      []string{"R-K8S-01"},
		Sources:    []string{"S-WIN-AES-3P", "S-PKCS12"},
		Meaning: "`certificates.pkcs12.oldestWindows` is 2019 or later, so the PFX files are encrypted with AES-256 " +
			"(Modern2023), but a planned product runs on no Windows Server that new: Lync Server 2013 and Exchange " +
			"2010/2013 at most on 2012 R2, Skype for Business Server 2015 and Exchange 2016 at most on 2016. Windows " +
			"Server 2016 and older reject AES-256 PFX files as a wrong password.",
		Fix: "Set `certificates.pkcs12.oldestWindows: \"2016\"` (3DES, the LegacyDES profile, which every Windows " +
			"reads).",
	},
	{
		Code:       CodeHybridTransportRenewal,
		Severities: []Severity{SeverityWarning},
		Rules:      []string{"R-EX-05"},
		Sources:    []string{"S-EX-TLSBLOG", "S-LE-GENY", "S-EX-HYBCERT"},
		Meaning: "In an Exchange hybrid deployment the Hybrid Configuration Wizard binds mail flow with Exchange Online " +
			"to the certificate's issuer and subject: `TlsCertificateName` on the \"Outbound to Office 365\" send " +
			"connector and each server's \"Default Frontend\" receive connector. A renewal can change the issuer (Let's " +
			"Encrypt picks an intermediate at random) or the subject (a CN-less profile), and mail flow stops until the " +
			"connectors are set again.",
		Fix: "Run the Exchange install script (`ucdeploy export`) on every hybrid server after every renewal: it sets " +
			"both connectors to the imported certificate, verifies them, checks for DigiCert Global Root G2 (R-EX-10) " +
			"and refuses to touch the Exchange Auth certificate (R-EX-11).",
	},
	{
		Code:       CodePublicIMConnectivityEnded,
		Severities: []Severity{SeverityWarning},
		Rules:      []string{"V28"},
		Sources:    []string{"S-OCS-EDGECERT"},
		Meaning: "`ocs.edge.publicIMConnectivity` federates with the public IM networks (AOL, Yahoo!, Windows Live / " +
			"Skype). None is left in 2026: AOL and Yahoo! ended public IM connectivity years ago and Skype (consumer) " +
			"was retired in 2025. The setting only makes the Access Edge certificate ask for the Client Authentication " +
			"usage, which public CAs are dropping (ClientAuthUnavailable). The end dates are not in the domain " +
			"reference, so this is a warning.",
		Fix: "Turn off `ocs.edge.publicIMConnectivity`; federation with other organisations is `ocs.edge.federation`.",
	},
	{
		Code:       CodeAdditionalNamesNotPublished,
		Severities: []Severity{SeverityInfo},
		Rules:      []string{"§2"},
		Sources:    []string{"S-EX-CERTS"},
		Meaning: "`exchange.additionalNames` (for example `imap.<domain>` or `smtp.<domain>`) go on the Exchange " +
			"certificate, but ucdeploy does not know which host answers them and plans no DNS record for them.",
		Fix: "Publish an A or CNAME record for each of those host names in the views where clients use them; a " +
			"wildcard needs none.",
	},
	{
		Code:       CodeOfficeOnlineWithoutExternalURL,
		Severities: []Severity{SeverityWarning},
		Rules:      []string{"R-SFB-10"},
		Sources:    []string{"S-OOS-PLAN", "S-SFB-OWAS"},
		Meaning: "The deployment has an Edge, so users join meetings from outside, but the Office Online Server farm " +
			"has no external URL: the reverse proxy does not publish it and external users see no PowerPoint content.",
		Fix: "Set `ocs.officeOnlineServer.externalFQDN` (the farm's `-ExternalUrl` host) and publish it through the " +
			"reverse proxy.",
	},
	{
		Code:       CodeACMELifetimeWithoutAgent,
		Severities: []Severity{SeverityError, SeverityWarning},
		Rules:      []string{"R-PKI-12"},
		Sources:    []string{"S-LE-6DAY", "S-LE-PROF"},
		Meaning: "The public issuer's ACME profile issues certificates shorter-lived than the time it takes to re-bind " +
			"them on the Windows servers, and no agent installs them yet: every renewal waits for someone to run the " +
			"install scripts. Let's Encrypt's shortlived profile (6 days) is an Error, its tlsserver profile (45 days) " +
			"a Warning.",
		Fix: "Use the classic profile (`spec.acme.profile` of the cert-manager issuer).",
	},
	{
		Code:       CodeDNSConfigMapTooLarge,
		Severities: []Severity{SeverityError},
		Rules:      []string{ruleConfigMapSize},
		Sources:    []string{sourceKubernetesConfigMap},
		Meaning: "The DNS ConfigMap of a view (zone files, records.json and the PowerShell script of every record) would " +
			"hold more than 1 MiB of data, which the API server refuses for any ConfigMap. Many SIP domains times many " +
			"front ends get there: 250 SIP domains and 16 front ends plan about 1.9 MB. The controller applies nothing " +
			"while the plan has this Error, instead of retrying a write that cannot succeed.",
		Fix: "Split the deployment: put some SIP domains (and the pools that serve them) in a second UCDeployment, so " +
			"that each plans fewer records.",
	},
}

// sourceKubernetesConfigMap is the source of ruleConfigMapSize, which DOMAIN.md does not cover:
// a Kubernetes limit, not a product rule.
const sourceKubernetesConfigMap = "https://kubernetes.io/docs/concepts/configuration/configmap/"

// kubernetesRules are the rules the catalog may cite besides DOMAIN.md's and RFCs: limits of
// Kubernetes itself, each with its source.
var kubernetesRules = map[string]string{ruleConfigMapSize: sourceKubernetesConfigMap}

// Catalog returns every finding code the planner emits, in the order of the Code* constants.
// The slice is a copy; changing it does not change the catalog.
func Catalog() []CatalogEntry {
	out := make([]CatalogEntry, len(catalog))
	for i, e := range catalog {
		e.Severities = append([]Severity(nil), e.Severities...)
		e.Rules = append([]string(nil), e.Rules...)
		e.Sources = append([]string(nil), e.Sources...)
		out[i] = e
	}
	return out
}

// CatalogEntryFor returns the catalog entry of a finding code.
func CatalogEntryFor(code string) (CatalogEntry, bool) {
	for _, e := range Catalog() {
		if e.Code == code {
			return e, true
		}
	}
	return CatalogEntry{}, false
}
