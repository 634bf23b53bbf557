CREATE TABLE `orders` (
	`id` text PRIMARY KEY NOT NULL,
	`customer` text,
	`amount_total` integer,
	`currency` text,
	`status` text NOT NULL,
	`event_id` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `subscriptions` (
	`id` text PRIMARY KEY NOT NULL,
	`customer` text NOT NULL,
	`status` text NOT NULL,
	`current_period_end` integer,
	`event_id` text NOT NULL,
	`event_created` integer NOT NULL,
	`event_rank` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `webhook_events` (
	`source` text NOT NULL,
	`id` text NOT NULL,
	`type` text,
	`status` text NOT NULL,
	`event_created` integer,
	`received_at` integer NOT NULL,
	`request_id` text NOT NULL,
	PRIMARY KEY(`source`, `id`),
	CONSTRAINT "webhook_events_status" CHECK("webhook_events"."status" IN ('processed', 'ignored'))
);
--> statement-breakpoint
CREATE INDEX `webhook_events_received_at` ON `webhook_events` (`received_at`);