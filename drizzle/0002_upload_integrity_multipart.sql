ALTER TABLE `uploads` ADD `expires_at` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `uploads` ADD `upload_id` text;--> statement-breakpoint
ALTER TABLE `uploads` ADD `part_size` integer;--> statement-breakpoint
ALTER TABLE `uploads` ADD `etag` text;--> statement-breakpoint
CREATE INDEX `uploads_pending_expiry` ON `uploads` (`completed_at`,`expires_at`);