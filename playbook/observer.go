package playbook

import "github.com/keyir/keyir/report"

// Observers tells each of its observers about the run, in order: the
// terminal's step list and the notification hub watch the same run.
// Nil entries are skipped.
type Observers []Observer

var _ Observer = Observers(nil)

func (os Observers) RunStarted(rep *report.Report, dir string) {
	for _, o := range os {
		if o != nil {
			o.RunStarted(rep, dir)
		}
	}
}

func (os Observers) StepStarted(s report.Step) {
	for _, o := range os {
		if o != nil {
			o.StepStarted(s)
		}
	}
}

func (os Observers) StepProgress(s report.Step, text string) {
	for _, o := range os {
		if o != nil {
			o.StepProgress(s, text)
		}
	}
}

func (os Observers) StepFinished(s report.Step) {
	for _, o := range os {
		if o != nil {
			o.StepFinished(s)
		}
	}
}

func (os Observers) RunFinished(rep *report.Report, dir string) {
	for _, o := range os {
		if o != nil {
			o.RunFinished(rep, dir)
		}
	}
}
