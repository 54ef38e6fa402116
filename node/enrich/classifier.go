package enrich

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/edgedesk/edgedesk/config"
	"github.com/edgedesk/edgedesk/model"
	"github.com/edgedesk/edgedesk/node/session"
)

// classifier runs the model service for the stage: every customer
// message, from any channel, is stored with its intent, confidence and
// language.
type classifier struct {
	svc     *model.Service
	mu      sync.Mutex
	path    string // the model file Reload reads (guarded by mu)
	timeout time.Duration
	log     *slog.Logger

	seconds       prometheus.Histogram
	errors        prometheus.Counter
	notUnderstood prometheus.Counter
	swaps         *prometheus.CounterVec
}

// openClassifier loads ONNX Runtime and the configured model (or writes the
// built-in default to dataDir/models/default.onnx and loads that).
func openClassifier(cfg config.Model, dataDir string, log *slog.Logger, reg prometheus.Registerer) (*classifier, error) {
	lib := cfg.ORTLib
	if lib == "" {
		var err error
		if lib, err = model.LocateRuntime(); err != nil {
			return nil, fmt.Errorf("enrich: %w (run scripts/fetch-ort.sh, or set model.ort_lib / EDGEDESK_ORT_LIB)", err)
		}
	}
	if err := model.InitRuntime(lib); err != nil {
		return nil, fmt.Errorf("enrich: %w", err)
	}
	path := cfg.Path
	if path == "" {
		path = filepath.Join(dataDir, "models", "default.onnx")
		if err := writeIfChanged(path, model.DefaultONNX); err != nil {
			return nil, fmt.Errorf("enrich: default model: %w", err)
		}
	}
	svc, err := model.NewService(path, model.ServiceOptions{
		MaxBatch:    cfg.MaxBatch,
		BatchWindow: cfg.BatchWindow,
		Languages:   cfg.Languages,
		Logger:      log,
	})
	if err != nil {
		return nil, fmt.Errorf("enrich: model %s: %w", path, err)
	}
	c := &classifier{
		svc: svc, path: path, timeout: cfg.Timeout, log: log,
		seconds: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "edgedesk_classify_seconds",
			Help:    "Time to classify one customer message (intent and language), batching included.",
			Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .05},
		}),
		errors:        prometheus.NewCounter(prometheus.CounterOpts{Name: "edgedesk_classify_errors_total", Help: "Messages stored unclassified because the model failed or ran out of time."}),
		notUnderstood: prometheus.NewCounter(prometheus.CounterOpts{Name: "edgedesk_classify_not_understood_total", Help: "Messages below the model's confidence threshold or out of scope."}),
		swaps:         prometheus.NewCounterVec(prometheus.CounterOpts{Name: "edgedesk_model_swaps_total", Help: "Model reloads, by result."}, []string{"result"}),
	}
	reg.MustRegister(c.seconds, c.errors, c.notUnderstood, c.swaps)
	log.Info("classifying customer messages", "ort", lib, "threshold", svc.Info().Threshold)
	return c, nil
}

// classify fills in m's intent, confidence and language; past the
// model timeout m stays unclassified.
func (c *classifier) classify(ctx context.Context, m *session.Message) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	start := time.Now()
	p, err := c.svc.Classify(ctx, m.Text, m.Locale)
	c.seconds.Observe(time.Since(start).Seconds())
	if err != nil {
		c.errors.Inc()
		c.log.Debug("message stored unclassified", "session", m.Session, "err", err)
		return
	}
	m.Intent, m.Confidence, m.Lang = p.Intent, p.Confidence, p.Lang
	if p.Lang == model.LangOther {
		// In none of the model's languages: no language to answer in but
		// the customer's locale (and the message is not understood).
		m.Lang = ""
	}
	if !p.Understood {
		c.notUnderstood.Inc()
	}
}

// reload swaps in the model file at c.path; on error the running model stays.
func (c *classifier) reload() error {
	c.mu.Lock()
	path := c.path
	c.mu.Unlock()
	if err := c.svc.Swap(path); err != nil {
		c.swaps.WithLabelValues("error").Inc()
		return err
	}
	c.swaps.WithLabelValues("ok").Inc()
	info := c.svc.Info()
	c.log.Info("model swapped", "path", path, "fingerprint", info.Fingerprint)
	return nil
}

// swapTo swaps in the model at path and makes it the one reload reads.
func (c *classifier) swapTo(path string) error {
	if err := c.svc.Swap(path); err != nil {
		c.swaps.WithLabelValues("error").Inc()
		return err
	}
	c.swaps.WithLabelValues("ok").Inc()
	c.mu.Lock()
	c.path = path
	c.mu.Unlock()
	c.log.Info("model swapped", "path", path, "fingerprint", c.svc.Info().Fingerprint)
	return nil
}

func (c *classifier) close() error {
	if c == nil {
		return nil
	}
	return c.svc.Close()
}

// writeIfChanged writes data to path atomically unless it already holds it.
func writeIfChanged(path string, data []byte) error {
	if old, err := os.ReadFile(path); err == nil && string(old) == string(data) {
		return nil
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
