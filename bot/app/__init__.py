"""The application: settings, the command line (``cli``, with the commands that need no
Telegram in ``commands``), the composition root (the one place that builds and closes every
long-lived object), the scheduler and its jobs, the one-bot-per-database lock and the running
bot."""
