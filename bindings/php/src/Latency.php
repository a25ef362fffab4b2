<?php

declare(strict_types=1);

namespace B2c;

/** Latency of one endpoint (Stats::$latency), in microseconds. */
final class Latency
{
    public function __construct(
        /** Exchanges measured. */
        public readonly int $count,
        public readonly int $p50Us,
        public readonly int $p90Us,
        public readonly int $p99Us,
        public readonly int $maxUs,
    ) {
    }
}
