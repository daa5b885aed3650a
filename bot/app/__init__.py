"""The application: settings, the command line, the composition root (the one place that
builds and closes every long-lived object), the scheduler and the running bot."""
