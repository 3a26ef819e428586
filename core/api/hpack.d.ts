// Types for the parts of hpack.js (HPACK for HTTP/2 header blocks) that core/api uses.
declare module 'hpack.js' {
  export interface HeaderField {
    name: string;
    value: string;
    neverIndex?: boolean;
  }
  export interface Decompressor {
    write(data: Buffer): void;
    execute(): void;
    read(): HeaderField | null;
  }
  export interface Compressor {
    write(headers: HeaderField[]): void;
    read(): Buffer | null;
  }
  const hpack: {
    decompressor: { create(options: { table: { size: number } }): Decompressor };
    compressor: { create(options: { table: { size: number } }): Compressor };
  };
  export default hpack;
}
