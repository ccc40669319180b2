// Command ucdeploy turns UCDeployment resources into cert-manager Certificates and DNS records
// for OCS 2007 R2 and Exchange 2007/2010. With no command it runs the controller manager;
// `ucdeploy plan -f FILE` runs the same planner offline, `ucdeploy verify -f FILE` asks DNS
// servers for the planned records, and `ucdeploy status NAME` prints a live
// deployment; `ucdeploy export NAME --out DIR` writes its PFX files and install scripts.
// Installed as `kubectl-ucd`, the same binary is the kubectl plugin `kubectl ucd`.
package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/ucdeploy/ucdeploy/internal/cli"
	"github.com/ucdeploy/ucdeploy/internal/manager"
)

func main() {
	cmd, args := "", os.Args[1:]
	if len(args) > 0 {
		cmd = args[0]
	}
	switch cmd {
	case "plan":
		os.Exit(cli.Plan(args[1:], os.Stdin, os.Stdout, os.Stderr))
	case "verify":
		os.Exit(cli.Verify(args[1:], os.Stdin, os.Stdout, os.Stderr))
	case "status":
		os.Exit(cli.Status(args[1:], os.Stdout, os.Stderr))
	case "export":
		os.Exit(cli.Export(args[1:], os.Stdout, os.Stderr, cli.ExportOptions{ReadPassword: cli.TerminalPassword(os.Stderr)}))
	}
	if filepath.Base(os.Args[0]) == "kubectl-ucd" {
		// As a kubectl plugin there is no manager to run.
		fmt.Fprintln(os.Stderr, "usage: kubectl ucd plan -f FILE [-o table|json|yaml|zone|powershell|install] | kubectl ucd verify -f FILE [--nameserver VIEW=HOST:PORT] | kubectl ucd status [-n NAMESPACE] NAME | kubectl ucd export [-n NAMESPACE] [--role ROLE] --out DIR NAME")
		os.Exit(cli.ExitInvalidArgs)
	}
	if err := manager.Run(args); err != nil {
		fmt.Fprintln(os.Stderr, "ucdeploy:", err)
		os.Exit(1)
	}
}
