CREATE TABLE `uploads` (
	`key` text PRIMARY KEY NOT NULL,
	`owner_id` text NOT NULL,
	`filename` text NOT NULL,
	`content_type` text NOT NULL,
	`size` integer NOT NULL,
	`created_at` integer NOT NULL,
	`completed_at` integer
);
--> statement-breakpoint
CREATE INDEX `uploads_owner_created` ON `uploads` (`owner_id`,`created_at`);--> statement-breakpoint
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
CREATE INDEX `webhook_events_received_at` ON `webhook_events` (`received_at`);--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`user_id` text NOT NULL,
	`key` text NOT NULL,
	`request_hash` text NOT NULL,
	`status` integer NOT NULL,
	`post_id` text NOT NULL,
	`response_body` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`user_id`, `key`)
);
--> statement-breakpoint
CREATE INDEX `idempotency_keys_created` ON `idempotency_keys` (`created_at`);--> statement-breakpoint
CREATE TABLE `posts` (
	`id` text PRIMARY KEY NOT NULL,
	`title` text NOT NULL,
	`content` text NOT NULL,
	`published` integer DEFAULT false NOT NULL,
	`author_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`version` integer DEFAULT 1 NOT NULL
);
--> statement-breakpoint
CREATE INDEX `posts_published_created_id` ON `posts` (`published`,"created_at" DESC,"id" DESC);--> statement-breakpoint
CREATE INDEX `posts_author_published_created_id` ON `posts` (`author_id`,`published`,"created_at" DESC,"id" DESC);