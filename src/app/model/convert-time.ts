// How long a conversion will take, said before it starts (issue 11). Converting is CPU-bound at the in-page rate
// bench/RESULTS.md measured ("In-page conversion": 49.1 MB/s of checkpoint read in Chromium on a 2-core machine,
// `npm run bench -- browser-convert`); a download from the Hub runs at the same time, so the slower of the two
// sets the time. The page cannot know the connection's speed (Chromium caps navigator.connection.downlink at
// 10 Mbit/s), so the time is given at typical speeds instead, and labelled as an estimate.

/** MB/s of checkpoint converted in the page, measured (see above). */
export const MEASURED_CONVERT_MBPS = 49.1;

/** The connection speeds the estimate is given at, in Mbit/s. */
export const DOWNLOAD_MBITS = [100, 1000] as const;

export interface ConvertTimeEstimate {
  /** Converting alone, at the measured rate. */
  convertSeconds: number;
  /** With the download at each of DOWNLOAD_MBITS (absent for a folder read from this computer). */
  atSpeeds: { mbits: number; seconds: number }[];
}

/** `download`: whether the bytes come over the network (a Hub repository) or from a local folder. */
export function estimateConvertTime(readBytes: number, download: boolean): ConvertTimeEstimate {
  const convertSeconds = readBytes / (MEASURED_CONVERT_MBPS * 1e6);
  const atSpeeds = download ? DOWNLOAD_MBITS.map((mbits) => ({ mbits, seconds: Math.max(convertSeconds, (readBytes * 8) / (mbits * 1e6)) })) : [];
  return { convertSeconds, atSpeeds };
}
