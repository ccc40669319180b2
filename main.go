// Command ucdeploy is the command line of ucdeploy, which turns UCDeployment resources into
// cert-manager Certificates and DNS records for Microsoft unified communications on premises:
// OCS 2007 R2, Lync Server 2010/2013 and Skype for Business Server 2015/2019/SE next to Exchange
// 2007 to Exchange Server SE. `ucdeploy plan -f FILE` runs the controller's planner offline,
// `ucdeploy verify -f FILE` asks DNS servers for the planned records, `ucdeploy probe -f FILE`
// judges the certificates the planned listeners serve, `ucdeploy status` prints live
// deployments, `ucdeploy export NAME --out DIR` writes a deployment's PFX files and install
// scripts, and `ucdeploy manager` runs the controller manager (the container image runs
// cmd/manager, the manager alone). With no command it lists the commands. Installed as
// `kubectl-ucd`, the same binary is the kubectl plugin `kubectl ucd`.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/ucdeploy/ucdeploy/internal/cli"
	"github.com/ucdeploy/ucdeploy/internal/manager"
)

func main() {
	os.Exit(run(filepath.Base(os.Args[0]), os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes the command line args of the program invoked as program and returns its exit
// status. Each command parses its own flags (internal/cli); the root lists the commands, offers
// shell completion and the version, and refuses an unknown command with the list.
func run(program string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	plugin := program == "kubectl-ucd"
	if plugin {
		cli.Program = "kubectl ucd"
	}
	root := newRoot(plugin, stdin, stdout, stderr)
	status := cli.ExitOK
	root.SetArgs(args)
	for _, c := range root.Commands() {
		if c.RunE != nil {
			c.RunE = exitWith(&status, c.RunE)
		}
	}
	if err := root.Execute(); err != nil {
		fmt.Fprintf(stderr, "%s: %v\n\n", root.DisplayName(), err)
		root.SetOut(stderr)
		_ = root.Usage()
		return cli.ExitInvalidArgs
	}
	return status
}

// exitCode carries a command's exit status out of cobra, which only knows errors.
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// exitWith records the exit status of run in status instead of letting cobra print it.
func exitWith(status *int, run func(*cobra.Command, []string) error) func(*cobra.Command, []string) error {
	return func(c *cobra.Command, args []string) error {
		err := run(c, args)
		var code exitCode
		if errors.As(err, &code) {
			*status = int(code)
			return nil
		}
		return err
	}
}

// newRoot builds the command tree. As the kubectl plugin the commands are named `kubectl ucd …`
// and there is no manager to run.
func newRoot(plugin bool, stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	name, use := "ucdeploy", "ucdeploy"
	if plugin {
		name, use = "kubectl ucd", "kubectl-ucd"
	}
	root := &cobra.Command{
		Use:         use,
		Annotations: map[string]string{cobra.CommandDisplayNameAnnotation: name},
		Short:       "Certificates and DNS for Lync, Skype for Business and Exchange on premises",
		Long: "ucdeploy plans the certificates (names, issuer, services) and the DNS records (internal and external\n" +
			"views) that OCS 2007 R2, Lync Server, Skype for Business Server and Exchange need, from one\n" +
			"UCDeployment resource: offline with `plan`, and in a cluster with the controller, which issues them\n" +
			"through cert-manager and reports what it did in the UCDeployment's status.",
		Version:           version(),
		SilenceErrors:     true,
		SilenceUsage:      true,
		DisableAutoGenTag: true,
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.SetIn(stdin)
	// Commands parse their own flags, kubectl style (internal/cli), so that `ucdeploy plan`
	// behaves the same whether it is reached through this tree or called from a test.
	passThrough := func(use, short string, cmd func(args []string) int) *cobra.Command {
		return &cobra.Command{
			Use:                use,
			Short:              short,
			DisableFlagParsing: true,
			RunE: func(_ *cobra.Command, args []string) error {
				return exitCode(cmd(args))
			},
		}
	}
	root.AddCommand(
		passThrough("plan -f FILE", "Plan certificates, DNS records and findings offline (exit 1 on Error findings)",
			func(args []string) int { return cli.Plan(args, stdin, stdout, stderr) }),
		passThrough("import sfb-topology|exchange -f FILE", "Write a UCDeployment from a Skype for Business topology or an Exchange export",
			func(args []string) int { return cli.Import(args, stdin, stdout, stderr) }),
		passThrough("verify -f FILE", "Ask DNS servers whether they publish the planned records",
			func(args []string) int { return cli.Verify(args, stdin, stdout, stderr) }),
		passThrough("probe -f FILE", "Connect to the planned listeners and judge the certificates they serve (exit 1 on findings)",
			func(args []string) int { return cli.Probe(args, stdin, stdout, stderr) }),
		passThrough("status [NAME]", "Show a live UCDeployment: conditions, certificates, records, findings",
			func(args []string) int { return cli.Status(args, stdout, stderr) }),
		passThrough("export NAME --out DIR", "Write a live deployment's PFX files and install scripts",
			func(args []string) int {
				return cli.Export(args, stdout, stderr, cli.ExportOptions{ReadPassword: cli.TerminalPassword(stderr)})
			}),
		&cobra.Command{
			Use:   "version",
			Short: "Print the version",
			Args:  cobra.NoArgs,
			RunE: func(c *cobra.Command, _ []string) error {
				fmt.Fprintf(stdout, "%s %s\n", name, version())
				return nil
			},
		},
	)
	if !plugin {
		root.AddCommand(passThrough("manager [flags]", "Run the controller manager against the current kubeconfig context",
			func(args []string) int {
				if err := manager.Run(args); err != nil {
					fmt.Fprintln(stderr, "ucdeploy manager:", err)
					return 1
				}
				return cli.ExitOK
			}))
	}
	return root
}

// version is the module version the binary was built from, with the VCS revision when the build
// recorded one.
func version() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "(unknown)"
	}
	v := info.Main.Version
	for _, s := range info.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			v += " (" + s.Value[:12] + ")"
		}
	}
	return v
}
