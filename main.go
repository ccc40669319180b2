// Command ucdeploy turns UCDeployment resources into cert-manager Certificates and DNS records
// for OCS 2007 R2 and Exchange 2007/2010. With no command it runs the controller manager;
// `ucdeploy plan -f FILE` runs the same planner offline.
package main

import (
	"fmt"
	"os"

	"github.com/ucdeploy/ucdeploy/internal/cli"
	"github.com/ucdeploy/ucdeploy/internal/manager"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "plan" {
		os.Exit(cli.Plan(os.Args[2:], os.Stdin, os.Stdout, os.Stderr))
	}
	if err := manager.Run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "ucdeploy:", err)
		os.Exit(1)
	}
}
