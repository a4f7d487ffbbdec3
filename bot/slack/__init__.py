"""The Slack front end: Bolt app, Events API / Socket Mode, Block Kit rendering, approval and
incident buttons. Nothing here is imported unless Slack credentials are configured."""
