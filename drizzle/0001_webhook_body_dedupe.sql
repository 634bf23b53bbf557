ALTER TABLE `webhook_events` ADD `body_sha256` text;--> statement-breakpoint
CREATE UNIQUE INDEX `webhook_events_body` ON `webhook_events` (`source`,`body_sha256`);