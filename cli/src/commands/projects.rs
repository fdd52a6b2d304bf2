//! Commands that move projects around: share links, zip archives, sample data.

use super::*;

pub fn share(args: &ProjectArgs, base_url: &str) -> u8 {
    let files = match disk::read_project(&args.project_dir) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    match modelplay_engine::share::encode_link(&files) {
        Ok(fragment) => {
            println!("{}#{fragment}", base_url);
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

pub fn open_link(link: &str, out: &Path) -> u8 {
    let files = if link.ends_with(".zip") && Path::new(link).is_file() {
        std::fs::read(link)
            .map_err(|e| e.to_string())
            .and_then(|b| modelplay_engine::share::from_zip(&b).map_err(|e| e.to_string()))
    } else {
        modelplay_engine::share::decode_link(link).map_err(|e| e.to_string())
    };
    let files = match files {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return 1;
        }
    };
    // Never write over someone's work.
    if out.exists()
        && std::fs::read_dir(out)
            .map(|mut d| d.next().is_some())
            .unwrap_or(true)
    {
        eprintln!(
            "error: {} is not empty; choose a new folder so nothing there is overwritten",
            out.display()
        );
        return 2;
    }
    for (path, contents) in files.iter() {
        if let Err(e) = disk::write(&out.join(path), contents) {
            eprintln!("error: {e}");
            return 2;
        }
    }
    println!("wrote {} files to {}", files.len(), out.display());
    0
}

pub fn zip(args: &ProjectArgs, out: &Path) -> u8 {
    let files = match disk::read_project(&args.project_dir) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let folder = args
        .project_dir
        .canonicalize()
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| "project".into());
    match modelplay_engine::share::to_zip(&files, &folder) {
        Ok(bytes) => match disk::write(out, bytes) {
            Ok(()) => {
                println!("wrote {} files to {}", files.len(), out.display());
                0
            }
            Err(e) => {
                eprintln!("error: {e}");
                2
            }
        },
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

pub fn sample(out: &Path, rows: usize, seed: u64) -> u8 {
    let files = modelplay_engine::sample::generate(&modelplay_engine::sample::SampleSpec {
        rows,
        seed,
        ..Default::default()
    });
    for (path, contents) in files.iter() {
        if let Err(e) = disk::write(&out.join(path), contents) {
            eprintln!("error: {e}");
            return 2;
        }
    }
    println!(
        "wrote {} files under {}",
        files.len(),
        out.join("data").display()
    );
    0
}
