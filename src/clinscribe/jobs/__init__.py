"""Durable background jobs on Dramatiq: in-process when embedded, RabbitMQ/Redis when scaled."""
