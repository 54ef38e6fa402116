// Command modelreport trains and evaluates edgedesk models on the shared
// intent data sets and prints the tables of docs/MODEL.md. It is a developer
// tool (scripts/model-report.sh runs it); the node never imports it.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"

	"github.com/edgedesk/edgedesk/model"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "modelreport:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	if p := os.Getenv("MODELREPORT_CPUPROFILE"); p != "" {
		f, err := os.Create(p)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if len(args) == 0 {
		return fmt.Errorf("usage: modelreport train|eval|report|langid|curve|sweep ...")
	}
	switch args[0] {
	case "train":
		return model.TrainCommand(ctx, args[1:], os.Stdout, os.Stderr)
	case "classify":
		return classify(ctx, args[1:])
	case "report":
		return report(ctx, args[1:])
	case "langid":
		return langid(ctx, args[1:])
	case "eval":
		return model.EvalCommand(ctx, args[1:], os.Stdout, os.Stderr)
	case "curve":
		return curve(ctx, args[1:])
	case "sweep":
		return sweep(args[1:])
	}
	return fmt.Errorf("unknown command %q", args[0])
}
