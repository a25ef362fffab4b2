using System;

namespace B2c
{
    /// <summary>B2COPY's fee-processing status (b2c_fee_status).</summary>
    public enum FeeStatus { Pending = 1, Success = 2, Error = 3 }

    /// <summary>One processext answer seen while Client.FeeProcess runs.</summary>
    public sealed class FeeProgress
    {
        internal FeeProgress(int raw, uint attempt, ulong elapsedMs)
        {
            RawStatus = raw;
            Attempt = attempt;
            Elapsed = TimeSpan.FromMilliseconds(elapsedMs);
        }

        /// <summary>The status; check Enum.IsDefined for values from a newer library.</summary>
        public FeeStatus Status { get { return (FeeStatus)RawStatus; } }
        public int RawStatus { get; private set; }
        /// <summary>Poll number, from 1.</summary>
        public uint Attempt { get; private set; }
        public TimeSpan Elapsed { get; private set; }

        public override string ToString()
        {
            return "FeeProgress{" + Status + ", attempt " + Attempt + ", " + (long)Elapsed.TotalMilliseconds + " ms}";
        }
    }

    /// <summary>Outcome of Client.FeeProcess: Success, or Pending in one-shot mode.</summary>
    public sealed class FeeResult
    {
        internal FeeResult(string login, string requestId, FeeStatus status)
        {
            AccountLogin = login;
            RequestId = requestId;
            Status = status;
        }

        public string AccountLogin { get; private set; }
        public string RequestId { get; private set; }
        public FeeStatus Status { get; private set; }
        public bool IsSuccess { get { return Status == FeeStatus.Success; } }

        public override string ToString() { return "FeeResult{" + AccountLogin + ", " + RequestId + ", " + Status + "}"; }
    }
}
