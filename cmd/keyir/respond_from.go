package main

import (
	"context"
	"fmt"
)

func (a *app) respondFrom(ctx context.Context, o runOptions, path, format string) error {
	return usageErr(fmt.Errorf("not yet"))
}
