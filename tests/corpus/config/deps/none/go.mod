module example.com/tools

require (
	github.com/spf13/cobra v1.8.1
	golang.org/x/text v0.16.0
)
